using System.Buffers.Binary;
using System.Text.Json.Nodes;
using Confluent.Kafka;
using Npgsql;
using OrleansConnect.Tests.ErrorHandling;
using OrleansConnect.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansConnect.Tests.Postgres;

/// <summary>A PostgreSQL 15 with logical decoding where users other than postgres need a password, for the recovery
/// tests (one of them restarts it, so it is not shared with other classes).</summary>
public sealed class RecoveryPostgres : IAsyncLifetime
{
    public PostgresServer Server { get; } = new()
    {
        MaxConnections = 40,
        PasswordAuthentication = true,
        Settings = new Dictionary<string, string> { ["wal_level"] = "logical", ["max_replication_slots"] = "10", ["max_wal_senders"] = "10" },
    };

    public Task InitializeAsync() => Server.InitializeAsync();
    public Task DisposeAsync() => Server.DisposeAsync();

    public async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(Server.ConnectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>The PostgreSQL connector in real silo processes through the faults of issue 19: kill -9 of the silo while
/// it streams, PostgreSQL restarting under a running task, a wrong password and a role without REPLICATION fixed
/// while the task is FAILED, and a Debezium offset imported through the offsets API.</summary>
[Collection(BrokerCollection.Name)]
public sealed class PostgresRecoveryTests(TestBroker broker, RecoveryPostgres pg, ITestOutputHelper output)
    : IClassFixture<RecoveryPostgres>, IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "oc-cdcr-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..6];

    // One group across restarts: a silo started again on the same data dir is the same worker cluster. Short restart
    // backoffs so that a fixed cause is picked up within seconds.
    private readonly Dictionary<string, string> _settings = new()
    {
        ["group.id"] = "cdcr-" + Guid.NewGuid().ToString("N")[..8],
        ["task.restart.backoff.initial.ms"] = "500",
        ["task.restart.backoff.max.ms"] = "2000",
    };

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
        return Task.CompletedTask;
    }

    private Dictionary<string, string> Config(string prefix, string table, string user = "postgres", string password = "unused") => new()
    {
        ["connector.class"] = "io.debezium.connector.postgresql.PostgresConnector",
        ["database.hostname"] = "127.0.0.1",
        ["database.port"] = pg.Server.Port.ToString(),
        ["database.user"] = user,
        ["database.password"] = password,
        ["database.dbname"] = pg.Server.Database,
        ["topic.prefix"] = prefix,
        ["table.include.list"] = "public." + table,
        ["slot.name"] = "slot_" + _suffix,
        ["publication.name"] = "pub_" + _suffix,
        ["publication.autocreate.mode"] = "filtered",
        ["poll.interval.ms"] = "100",
    };

    private static List<int> Ids(IEnumerable<ConsumeResult<byte[]?, byte[]?>> records) =>
        records.Where(r => r.Message.Value is not null).Select(r =>
        {
            var payload = JsonNode.Parse(r.Message.Value!)!["payload"]!;
            return (int)(payload["after"] ?? payload["before"])!["id"]!;
        }).ToList();

    private async Task<List<ConsumeResult<byte[]?, byte[]?>>> ReadIdsAsync(string topic, IReadOnlyCollection<int> expected, SiloProcess silo, string name)
    {
        List<ConsumeResult<byte[]?, byte[]?>> read = [];
        try
        {
            return await KafkaTopics.ReadUntilAsync(broker.BootstrapServers, topic, 1,
                r => expected.All(new HashSet<int>(Ids(read = r)).Contains), TimeSpan.FromSeconds(120));
        }
        catch (TimeoutException e)
        {
            var seen = Ids(read).ToHashSet();
            var missing = expected.Where(id => !seen.Contains(id)).ToList();
            throw new TimeoutException($"{e.Message[..Math.Min(200, e.Message.Length)]}\n{missing.Count} of {expected.Count} ids missing, e.g. "
                + $"{string.Join(",", missing.Take(20))}; first offset read {read.FirstOrDefault()?.Offset.Value}\nstatus: {await silo.Client.StatusAsync(name)}\n"
                + $"silo log (tail): {Tail(silo.Log)}\nserver log (tail): {Tail(pg.Server.ServerLog)}");
        }
    }

    private static string Tail(string text) => text.Length <= 4000 ? text : text[^4000..];

    /// <summary>Inserts one row per transaction until cancelled (or 2,000 rows); returns the ids whose commit returned.</summary>
    private async Task<List<int>> InsertUntilCancelledAsync(string table, int first, CancellationToken ct)
    {
        var committed = new List<int>();
        await using var connection = new NpgsqlConnection(pg.Server.ConnectionString + ";Pooling=false");
        await connection.OpenAsync(CancellationToken.None);
        // Paced at 400 rows/s, so that the silo is killed while rows are still being written and streamed; at most
        // 2,000 rows: the test broker keeps 5 MiB per partition, and these records carry their schema.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var id = first; !ct.IsCancellationRequested && id < first + 2000; id++)
        {
            var due = TimeSpan.FromMilliseconds((id - first) * 2.5);
            if (clock.Elapsed < due) await Task.Delay(due - clock.Elapsed, CancellationToken.None);
            await using var command = new NpgsqlCommand($"INSERT INTO public.{table} VALUES ({id}, 'row {id}')", connection);
            await command.ExecuteNonQueryAsync(CancellationToken.None);
            committed.Add(id);
        }
        return committed;
    }

    [Fact]
    public async Task Kill_9_of_the_silo_while_streaming_loses_no_committed_change()
    {
        var table = "orders_" + _suffix;
        var prefix = "kill" + _suffix;
        var topic = $"{prefix}.public.{table}";
        broker.Broker.CreateTopic(topic, 1);
        await pg.ExecuteAsync($"CREATE TABLE public.{table} (id int4 PRIMARY KEY, note text); INSERT INTO public.{table} SELECT g, 'seed' FROM generate_series(1, 10) g");
        var name = "pg-kill-" + _suffix;
        var committed = Enumerable.Range(1, 10).ToList();

        using var writing = new CancellationTokenSource();
        Task<List<int>> writer;
        await using (var silo = new SiloProcess(_dir, broker.BootstrapServers, _settings))
        {
            await silo.StartAsync();
            await silo.Client.CreateConnectorAsync(name, Config(prefix, table));
            await silo.Client.WaitForStateAsync(name, "RUNNING", 1, TimeSpan.FromSeconds(60));
            writer = Task.Run(() => InsertUntilCancelledAsync(table, 1000, writing.Token));
            // Kill it once streamed changes are flowing into the topic, with the writer still going.
            await KafkaTopics.ReadUntilAsync(broker.BootstrapServers, topic, 1, r => Ids(r).Count(id => id >= 1000) >= 300, TimeSpan.FromSeconds(120));
            await silo.KillAsync();
        }
        Assert.False(writer.IsCompleted, "the silo was killed while rows were still being written");
        // Changes committed while no silo runs must arrive too: the writer goes on for another second.
        writing.CancelAfter(TimeSpan.FromSeconds(1));
        committed.AddRange(await writer);

        await using (var silo = new SiloProcess(_dir, broker.BootstrapServers, _settings))
        {
            await silo.StartAsync();
            var records = await ReadIdsAsync(topic, committed, silo, name);
            var ids = Ids(records);
            var duplicates = ids.Count - ids.Distinct().Count();
            output.WriteLine($"{committed.Count} committed rows, {ids.Count} change records in the topic, {duplicates} duplicates");
            Assert.Equal(committed.ToHashSet(), ids.ToHashSet());
            await silo.Client.SendAsync(HttpMethod.Delete, $"connectors/{name}");
        }
    }

    [Fact]
    public async Task PostgreSQL_restarting_under_a_running_task_loses_nothing_and_the_task_recovers()
    {
        var table = "stock_" + _suffix;
        var prefix = "bounce" + _suffix;
        var topic = $"{prefix}.public.{table}";
        broker.Broker.CreateTopic(topic, 1);
        await pg.ExecuteAsync($"CREATE TABLE public.{table} (id int4 PRIMARY KEY, note text); INSERT INTO public.{table} VALUES (1, 'seed')");
        var name = "pg-bounce-" + _suffix;
        await using var silo = new SiloProcess(_dir, broker.BootstrapServers, _settings);
        await silo.StartAsync();
        await silo.Client.CreateConnectorAsync(name, Config(prefix, table));
        await silo.Client.WaitForStateAsync(name, "RUNNING", 1, TimeSpan.FromSeconds(60));
        await ReadIdsAsync(topic, [1], silo, name);

        // Committed just before the server goes down: the task may not have read them yet.
        await pg.ExecuteAsync($"INSERT INTO public.{table} SELECT g, 'before' FROM generate_series(2, 200) g");
        await pg.Server.StopAsync("fast");
        NpgsqlConnection.ClearAllPools();
        await pg.Server.RestartAsync();
        await pg.ExecuteAsync($"INSERT INTO public.{table} SELECT g, 'after' FROM generate_series(201, 300) g");

        var records = await ReadIdsAsync(topic, Enumerable.Range(1, 300).ToList(), silo, name);
        var ids = Ids(records);
        output.WriteLine($"300 committed rows, {ids.Count} change records, {ids.Count - ids.Distinct().Count()} duplicates");
        Assert.Equal(Enumerable.Range(1, 300).ToHashSet(), ids.ToHashSet());
        await silo.Client.WaitForStateAsync(name, "RUNNING", 1, TimeSpan.FromSeconds(60));
        await silo.Client.SendAsync(HttpMethod.Delete, $"connectors/{name}");
    }

    [Fact]
    public async Task A_wrong_password_then_a_role_without_replication_fail_the_task_readably_and_it_recovers_once_each_is_fixed()
    {
        var table = "users_" + _suffix;
        var prefix = "creds" + _suffix;
        var topic = $"{prefix}.public.{table}";
        var role = "capture_" + _suffix;
        const string secret = "right-secret-42";
        broker.Broker.CreateTopic(topic, 1);
        // A role that may read the table and stream changes; the publication exists already (a non-superuser cannot
        // create one FOR ALL TABLES).
        await pg.ExecuteAsync($"CREATE TABLE public.{table} (id int4 PRIMARY KEY, note text); INSERT INTO public.{table} VALUES (1, 'seed'); "
            + $"CREATE ROLE {role} LOGIN REPLICATION PASSWORD '{secret}'; GRANT SELECT ON public.{table} TO {role}; "
            + $"CREATE PUBLICATION pub_{_suffix} FOR TABLE public.{table}");
        var name = "pg-creds-" + _suffix;
        var config = Config(prefix, table, role, secret);
        config["publication.autocreate.mode"] = "disabled";
        await using var silo = new SiloProcess(_dir, broker.BootstrapServers, _settings);
        await silo.StartAsync();
        // Created (validate tests the login) while stopped; then the role's password changes and it loses REPLICATION.
        var create = new JsonObject { ["name"] = name, ["config"] = System.Text.Json.JsonSerializer.SerializeToNode(config), ["initial_state"] = "STOPPED" };
        var (created, createBody) = await silo.Client.SendAsync(HttpMethod.Post, "connectors", create.ToJsonString());
        Assert.True(created == System.Net.HttpStatusCode.Created, $"{(int)created} {createBody}");
        await pg.ExecuteAsync($"ALTER ROLE {role} NOREPLICATION PASSWORD 'another-secret'");
        await silo.Client.SendAsync(HttpMethod.Put, $"connectors/{name}/resume");

        var failed = await silo.Client.WaitForTaskStateAsync(name, 0, "FAILED", TimeSpan.FromSeconds(60));
        var trace = (string)failed!["tasks"]![0]!["trace"]!;
        Assert.Contains($"refused user '{role}'", trace);
        Assert.Contains("check database.user and database.password", trace);
        Assert.DoesNotContain(secret, trace);

        await pg.ExecuteAsync($"ALTER ROLE {role} PASSWORD '{secret}'");
        await Eventually.Until(async () =>
            (string?)(await silo.Client.StatusAsync(name))?["tasks"]?[0]?["trace"] is { } t && t.Contains("lacks the REPLICATION privilege"),
            TimeSpan.FromSeconds(60), "the restarted task fails on the missing REPLICATION privilege");
        var status = await silo.Client.StatusAsync(name);
        Assert.Contains($"ALTER ROLE {role} REPLICATION", (string)status!["tasks"]![0]!["trace"]!);

        await pg.ExecuteAsync($"ALTER ROLE {role} REPLICATION");
        await silo.Client.WaitForStateAsync(name, "RUNNING", 1, TimeSpan.FromSeconds(60));
        await pg.ExecuteAsync($"INSERT INTO public.{table} VALUES (2, 'streamed')");
        var records = await ReadIdsAsync(topic, [1, 2], silo, name);
        Assert.Equal([1, 2], Ids(records));
        await silo.Client.SendAsync(HttpMethod.Delete, $"connectors/{name}");
    }

    [Fact]
    public async Task A_Debezium_offset_imported_through_the_offsets_API_is_where_streaming_continues()
    {
        var table = "moved_" + _suffix;
        var prefix = "moved" + _suffix;
        var topic = $"{prefix}.public.{table}";
        var slot = "slot_" + _suffix;
        var publication = "pub_" + _suffix;
        broker.Broker.CreateTopic(topic, 1);
        // The slot and publication Debezium used; Debezium had delivered rows 1 and 2 of the first transaction when it
        // was stopped, so its offset points inside that transaction.
        await pg.ExecuteAsync($"CREATE TABLE public.{table} (id int4 PRIMARY KEY, note text); CREATE PUBLICATION {publication} FOR TABLE public.{table}");
        await pg.ExecuteAsync($"SELECT pg_create_logical_replication_slot('{slot}', 'pgoutput')");
        await pg.ExecuteAsync($"INSERT INTO public.{table} VALUES (1, 'a'), (2, 'b'), (3, 'c')");
        await pg.ExecuteAsync($"INSERT INTO public.{table} VALUES (4, 'd'), (5, 'e')");
        var (insertLsns, commitLsn, xid) = await FirstTransactionAsync(slot, publication);
        Assert.Equal(3, insertLsns.Count);
        var debeziumOffset = new JsonObject
        {
            ["transaction_id"] = null,
            ["lsn_proc"] = (long)insertLsns[1],
            ["messageType"] = "INSERT",
            ["lsn_commit"] = (long)commitLsn,
            ["lsn"] = (long)insertLsns[1],
            ["txId"] = xid,
            ["ts_usec"] = 1_700_000_000_000_000L,
        };

        var name = "pg-moved-" + _suffix;
        var config = Config(prefix, table);
        config["publication.autocreate.mode"] = "disabled";
        await using var silo = new SiloProcess(_dir, broker.BootstrapServers, _settings);
        await silo.StartAsync();
        var create = new JsonObject { ["name"] = name, ["config"] = System.Text.Json.JsonSerializer.SerializeToNode(config), ["initial_state"] = "STOPPED" };
        var (created, createBody) = await silo.Client.SendAsync(HttpMethod.Post, "connectors", create.ToJsonString());
        Assert.True(created == System.Net.HttpStatusCode.Created, $"{(int)created} {createBody}");
        await Eventually.Until(async () => (string?)(await silo.Client.StatusAsync(name))?["connector"]?["state"] == "STOPPED",
            TimeSpan.FromSeconds(30), "the connector is STOPPED");

        var patch = new JsonObject
        {
            ["offsets"] = new JsonArray(new JsonObject { ["partition"] = new JsonObject { ["server"] = prefix }, ["offset"] = debeziumOffset }),
        };
        var (patched, patchBody) = await silo.Client.SendAsync(HttpMethod.Patch, $"connectors/{name}/offsets", patch.ToJsonString());
        Assert.True(patched == System.Net.HttpStatusCode.OK, $"{(int)patched} {patchBody}");
        var (_, offsets) = await silo.Client.SendAsync(HttpMethod.Get, $"connectors/{name}/offsets");
        Assert.Equal((long)commitLsn, (long)offsets!["offsets"]![0]!["offset"]!["lsn_commit"]!);

        await silo.Client.SendAsync(HttpMethod.Put, $"connectors/{name}/resume");
        await silo.Client.WaitForStateAsync(name, "RUNNING", 1, TimeSpan.FromSeconds(60));
        await pg.ExecuteAsync($"INSERT INTO public.{table} VALUES (6, 'f')");
        var records = await ReadIdsAsync(topic, [3, 4, 5, 6], silo, name);
        // No snapshot (the offset says streaming was under way) and nothing Debezium had delivered.
        Assert.Equal([3, 4, 5, 6], Ids(records));
        Assert.All(records, r => Assert.Equal("c", (string?)JsonNode.Parse(r.Message.Value!)!["payload"]!["op"]));
        await silo.Client.SendAsync(HttpMethod.Delete, $"connectors/{name}");
    }

    /// <summary>The first transaction in the slot, read without consuming it: its inserts' LSNs (as the walsender
    /// labels each message), its commit LSN and its xid, i.e. what Debezium's offset holds.</summary>
    private async Task<(List<ulong> Inserts, ulong Commit, long Xid)> FirstTransactionAsync(string slot, string publication)
    {
        await using var connection = new NpgsqlConnection(pg.Server.ConnectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"SELECT lsn::text, xid::text, data FROM pg_logical_slot_peek_binary_changes('{slot}', NULL, NULL, 'proto_version', '1', 'publication_names', '{publication}')",
            connection);
        await using var reader = await command.ExecuteReaderAsync();
        var inserts = new List<ulong>();
        while (await reader.ReadAsync())
        {
            var data = (byte[])reader[2];
            switch ((char)data[0])
            {
                case 'I':
                    inserts.Add((ulong)NpgsqlTypes.NpgsqlLogSequenceNumber.Parse(reader.GetString(0)));
                    break;
                case 'C':
                    // Commit: flags (1 byte), then the commit's LSN.
                    return (inserts, BinaryPrimitives.ReadUInt64BigEndian(data.AsSpan(2, 8)), long.Parse(reader.GetString(1)));
            }
        }
        throw new InvalidOperationException("The slot holds no committed transaction");
    }
}
