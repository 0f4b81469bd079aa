using Npgsql;
using OrleansConnect.Tests.Infrastructure;

namespace OrleansConnect.Tests.Jdbc;

/// <summary>Issue 20's end-to-end pipeline with change data capture: table A → the Debezium-compatible PostgreSQL
/// source → io.debezium.transforms.ExtractNewRecordState (tombstones kept, as users configure it for JDBC sinks) → the
/// JDBC sink (upsert, delete.enabled, pk.mode=record_key) → table B of the same definition in a second database.
/// Inserts, updates of every column type the two connectors share, deletes and primary-key changes run while the silo
/// is killed with kill -9 and after; B ends equal to A row for row.</summary>
public sealed class CdcToJdbcPipelineTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(180);
    private readonly PostgresServer _postgres = new()
    {
        MaxConnections = 40,
        Settings = new Dictionary<string, string> { ["wal_level"] = "logical", ["max_replication_slots"] = "4", ["max_wal_senders"] = "4" },
    };
    private readonly TestBroker _broker = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("oc-cdc-jdbc-").FullName;
    private readonly string _target = "b_" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _groupId = "cdc-jdbc-" + Guid.NewGuid().ToString("N")[..8];

    public Task InitializeAsync() => _postgres.InitializeAsync();

    public async Task DisposeAsync()
    {
        await _postgres.DisposeAsync();
        _broker.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    // The same state directory and group each time: a restart resumes the connectors the killed silo ran.
    private SiloProcess NewSilo() => new(Path.Combine(_dir, "silo"), _broker.BootstrapServers, new Dictionary<string, string> { ["group.id"] = _groupId });

    private string Source => _postgres.ConnectionString.Replace("Pooling=true", "Pooling=false");
    private string Target => Source.Replace(_postgres.Database, _target);

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<string> ScalarTextAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (await command.ExecuteScalarAsync())?.ToString() ?? "";
    }

    // The column types Debezium's events and Confluent's sink agree on (docs/connectors/jdbc.md, "From Debezium"):
    // with time.precision.mode=connect the temporal columns travel as Connect's Date/Time/Timestamp, numeric(p,s) as
    // Connect's Decimal, uuid and json(b) as strings the sink casts for columns of those types, arrays as ARRAYs.
    private const string Columns = "(id int8 PRIMARY KEY, sm int2, i int4, b int8, f real, d double precision, flag boolean, s text, v varchar(40), "
        + "c char(6), n numeric(12,3), day date, t time(3), ts timestamp(3), bin bytea, u uuid, j jsonb, js json, ints int4[], texts text[])";

    private const string Rows = "SELECT COALESCE(string_agg(x::text, E'\\n' ORDER BY x.id), '') FROM ";

    private static string Insert(int from, int count) =>
        "INSERT INTO a SELECT g, (g % 30000)::int2, g, g * 1000000000::int8, g / 8.0, g / 3.0, g % 2 = 0, 'row ' || g, 'v' || g, 'c' || (g % 100), "
        + "(g / 7.0)::numeric(12,3), DATE '2020-01-01' + g, TIME '00:00:00' + g * INTERVAL '1.001 second', "
        + "TIMESTAMP '2024-01-01 00:00:00' + g * INTERVAL '1.001 second', decode(lpad(to_hex(g), 8, '0'), 'hex'), md5(g::text)::uuid, "
        + "jsonb_build_object('g', g, 'tags', jsonb_build_array('x', g)), json_build_object('n', g), ARRAY[g, NULL, -g], ARRAY['a' || g, NULL] "
        + $"FROM generate_series({from}, {from + count - 1}) AS g";

    /// <summary>Every column of the rows matching <paramref name="where"/> changes.</summary>
    private static string UpdateEveryColumn(string where) =>
        "UPDATE a SET sm = -sm, i = -i, b = -b, f = -f, d = -d, flag = NOT flag, s = s || ' changed', v = v || '!', c = 'chg', n = -n, "
        + "day = day + 1, t = t + INTERVAL '1 hour', ts = ts + INTERVAL '1 day', bin = bin || '\\xff'::bytea, u = md5('x' || id)::uuid, "
        + $"j = j || '{{\"changed\": true}}', js = '{{\"changed\": 1}}', ints = ints || 7, texts = ARRAY['changed'] WHERE {where}";

    private const string UpdateToNull = "UPDATE a SET sm = NULL, i = NULL, b = NULL, f = NULL, d = NULL, flag = NULL, s = NULL, v = NULL, c = NULL, "
        + "n = NULL, day = NULL, t = NULL, ts = NULL, bin = NULL, u = NULL, j = NULL, js = NULL, ints = NULL, texts = NULL WHERE ";

    /// <summary>One round of the writer: 20 new rows, every column of some earlier rows changed, some set to NULL,
    /// some deleted.</summary>
    private static async Task RoundAsync(string connectionString, int round)
    {
        var first = round * 20 + 1;
        await ExecuteAsync(connectionString, Insert(first, 20));
        if (round == 0) return;
        var previous = $"id BETWEEN {first - 20} AND {first - 1}";
        await ExecuteAsync(connectionString, UpdateEveryColumn($"{previous} AND id % 3 = 0"));
        await ExecuteAsync(connectionString, UpdateToNull + $"{previous} AND id % 11 = 0");
        await ExecuteAsync(connectionString, $"DELETE FROM a WHERE {previous} AND id % 5 = 0");
    }

    [Fact]
    public async Task Table_B_equals_table_A_after_inserts_updates_deletes_and_a_kill_of_the_silo_mid_stream()
    {
        await ExecuteAsync(Source, $"CREATE DATABASE {_target}");
        await ExecuteAsync(Source, "CREATE TABLE a " + Columns);
        await ExecuteAsync(Target, "CREATE TABLE b " + Columns);
        var prefix = "shop";
        var topic = prefix + ".public.a";
        _broker.Broker.CreateTopic(topic, 3);
        var silo = NewSilo();
        await silo.StartAsync();
        try
        {
            await silo.Client.CreateConnectorAsync("a-cdc", new Dictionary<string, string>
            {
                ["connector.class"] = "io.debezium.connector.postgresql.PostgresConnector",
                ["database.hostname"] = "127.0.0.1",
                ["database.port"] = _postgres.Port.ToString(),
                ["database.user"] = "postgres",
                ["database.password"] = "unused",
                ["database.dbname"] = _postgres.Database,
                ["topic.prefix"] = prefix,
                ["plugin.name"] = "pgoutput",
                ["table.include.list"] = "public.a",
                ["publication.autocreate.mode"] = "filtered",
                ["time.precision.mode"] = "connect",
                ["poll.interval.ms"] = "100",
            });
            await silo.Client.CreateConnectorAsync("b-sink", new Dictionary<string, string>
            {
                ["connector.class"] = "io.confluent.connect.jdbc.JdbcSinkConnector",
                ["connection.url"] = $"jdbc:postgresql://127.0.0.1:{_postgres.Port}/{_target}",
                ["connection.user"] = "postgres",
                ["topics"] = topic,
                ["table.name.format"] = "b",
                ["insert.mode"] = "upsert",
                ["pk.mode"] = "record_key",
                ["delete.enabled"] = "true",
                ["transforms"] = "unwrap",
                ["transforms.unwrap.type"] = "io.debezium.transforms.ExtractNewRecordState",
                ["transforms.unwrap.drop.tombstones"] = "false",
            });

            // Rounds keep coming until a second after the silo is killed (at most 100 rounds, 2,000 rows: the test
            // broker keeps 5 MiB per partition), paced so that the kill lands while they are written.
            using var writing = new CancellationTokenSource();
            var writer = Task.Run(async () =>
            {
                var round = 0;
                for (; round < 100 && !writing.IsCancellationRequested; round++)
                {
                    await RoundAsync(Source, round);
                    await Task.Delay(100, CancellationToken.None);
                }
                return round;
            });
            await Eventually.Until(async () => long.Parse(await ScalarTextAsync(Target, "SELECT count(*) FROM b")), count => count >= 100, Timeout,
                count => $"{count} rows in B\n{silo.Log}");
            Assert.False(writer.IsCompleted, "the silo is killed while rows are still being written");
            await silo.KillAsync();
            writing.CancelAfter(TimeSpan.FromSeconds(1));
            await writer;
        }
        finally
        {
            await silo.DisposeAsync();
        }

        // While no silo runs: every column of more rows changes, primary keys change (a delete of the old key and a
        // create of the new one), and a last batch arrives.
        await ExecuteAsync(Source, UpdateEveryColumn("id % 7 = 0"));
        await ExecuteAsync(Source, UpdateToNull + "id % 19 = 0");
        await ExecuteAsync(Source, "UPDATE a SET id = id + 100000 WHERE id % 13 = 0");
        await ExecuteAsync(Source, "DELETE FROM a WHERE id % 17 = 0");
        await ExecuteAsync(Source, Insert(3001, 40));

        var again = NewSilo();
        await again.StartAsync();
        try
        {
            var expected = await ScalarTextAsync(Source, Rows + "a x");
            Assert.True(expected.Split('\n').Length > 100, "A holds the rows written");
            string? failure = null;
            try
            {
                await Eventually.Until(() => ScalarTextAsync(Target, Rows + "b x"), actual => actual == expected, Timeout,
                    actual => failure = $"B differs from A: {Diff(expected, actual)}");
            }
            catch (TimeoutException)
            {
                Assert.Fail($"{failure}\nsink: {await again.Client.StatusAsync("b-sink")}\nsource: {await again.Client.StatusAsync("a-cdc")}\n{Tail(again.Log)}");
            }
        }
        finally
        {
            await again.DisposeAsync();
        }
    }

    private static string Tail(string text) => text.Length <= 6000 ? text : text[^6000..];

    private static string Diff(string expected, string? actual)
    {
        var a = expected.Split('\n');
        var b = (actual ?? "").Split('\n');
        var first = a.Zip(b).Select((p, i) => (p, i)).FirstOrDefault(x => x.p.First != x.p.Second);
        return $"{a.Length} rows in A, {b.Length} in B; first difference at row {first.i}: A {first.p.First} | B {first.p.Second}";
    }
}
