using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using OrleansConnect.Tests.ErrorHandling;
using OrleansConnect.Tests.Infrastructure;

namespace OrleansConnect.Tests.Postgres;

/// <summary>A PostgreSQL 15 with logical decoding for the pipeline tests.</summary>
public sealed class CdcPostgres : IAsyncLifetime
{
    public PostgresServer Server { get; } = new()
    {
        MaxConnections = 40,
        Settings = new Dictionary<string, string> { ["wal_level"] = "logical", ["max_replication_slots"] = "10", ["max_wal_senders"] = "10" },
    };

    public Task InitializeAsync() => Server.InitializeAsync();
    public Task DisposeAsync() => Server.DisposeAsync();

    public async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(Server.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>PostgreSQL → the PostgreSQL connector in a real silo process → the embedded broker, with the config of
/// Debezium's documentation example taken unchanged (no plugin.name: pgoutput is the only plugin here).</summary>
[Collection(BrokerCollection.Name)]
public sealed class PostgresPipelineTests(TestBroker broker, CdcPostgres pg) : IClassFixture<CdcPostgres>, IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "oc-cdc-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..6];
    // One group across restarts: the second silo is the same worker cluster and finds the connector it stored.
    private readonly Dictionary<string, string> _settings = new() { ["group.id"] = "cdc-" + Guid.NewGuid().ToString("N")[..8] };

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
        return Task.CompletedTask;
    }

    private Dictionary<string, string> DocumentationConfig(string prefix, string table) => new()
    {
        ["connector.class"] = "io.debezium.connector.postgresql.PostgresConnector",
        ["database.hostname"] = "127.0.0.1",
        ["database.port"] = pg.Server.Port.ToString(),
        ["database.user"] = "postgres",
        ["database.password"] = "postgres-secret",
        ["database.dbname"] = pg.Server.Database,
        ["topic.prefix"] = prefix,
        ["table.include.list"] = "public." + table,
    };

    private static IEnumerable<(string Op, int Id)> Events(IEnumerable<Confluent.Kafka.ConsumeResult<byte[]?, byte[]?>> records) =>
        records.Where(r => r.Message.Value is not null).Select(r =>
        {
            var payload = JsonNode.Parse(r.Message.Value!)!["payload"]!;
            var row = payload["after"] ?? payload["before"];
            return ((string)payload["op"]!, (int)row!["id"]!);
        });

    [Fact]
    public async Task Snapshot_and_stream_reach_the_topic_and_a_restarted_silo_continues_from_the_stored_offsets()
    {
        var table = "inventory_" + _suffix;
        var prefix = "fulfillment" + _suffix;
        var topic = $"{prefix}.public.{table}";
        broker.Broker.CreateTopic(topic, 1);
        await pg.ExecuteAsync($"CREATE TABLE public.{table} (id int4 PRIMARY KEY, item text NOT NULL, qty int4); "
            + $"INSERT INTO public.{table} VALUES (1, 'apple', 3), (2, 'pear', 5)");
        var name = "pg-" + _suffix;
        await using (var silo = new SiloProcess(_dir, broker.BootstrapServers, _settings))
        {
            await silo.StartAsync();
            await silo.Client.CreateConnectorAsync(name, DocumentationConfig(prefix, table));
            await silo.Client.WaitForStateAsync(name, "RUNNING", 1, TimeSpan.FromSeconds(30));
            var snapshot = await KafkaTopics.ReadUntilAsync(broker.BootstrapServers, topic, 1, r => r.Count >= 2, TimeSpan.FromSeconds(60));
            Assert.Equal([("r", 1), ("r", 2)], Events(snapshot));
            Assert.Equal("""{"id":1}""", JsonNode.Parse(snapshot[0].Message.Key!)!["payload"]!.ToJsonString());

            await pg.ExecuteAsync($"INSERT INTO public.{table} VALUES (3, 'plum', 1); UPDATE public.{table} SET qty = 4 WHERE id = 1; DELETE FROM public.{table} WHERE id = 2");
            var streamed = await KafkaTopics.ReadUntilAsync(broker.BootstrapServers, topic, 1, r => r.Count >= 6, TimeSpan.FromSeconds(60));
            Assert.Equal([("r", 1), ("r", 2), ("c", 3), ("u", 1), ("d", 2)], Events(streamed));
            Assert.Null(streamed[5].Message.Value); // the tombstone after the delete

            // Offsets in Debezium's form under {"server": prefix}, readable through Connect's offsets API.
            await Eventually.Until(async () =>
            {
                var (_, offsets) = await silo.Client.SendAsync(HttpMethod.Get, $"connectors/{name}/offsets");
                var entry = offsets?["offsets"]?.AsArray().FirstOrDefault();
                return entry?["partition"]?["server"]?.GetValue<string>() == prefix && entry["offset"]?["lsn_commit"] is not null;
            }, TimeSpan.FromSeconds(30), "the connector's offsets hold lsn_commit under {\"server\": prefix}");

            // The password is not shown back.
            var (_, config) = await silo.Client.SendAsync(HttpMethod.Get, $"connectors/{name}/config");
            Assert.DoesNotContain("postgres-secret", config!.ToJsonString());
            await silo.StopAsync();
        }

        // Changes while no silo runs arrive once one runs again, each once.
        await pg.ExecuteAsync($"INSERT INTO public.{table} VALUES (4, 'fig', 2), (5, 'kiwi', 7)");
        await using (var silo = new SiloProcess(_dir, broker.BootstrapServers, _settings))
        {
            await silo.StartAsync();
            List<Confluent.Kafka.ConsumeResult<byte[]?, byte[]?>> all;
            try { all = await KafkaTopics.ReadUntilAsync(broker.BootstrapServers, topic, 1, r => r.Count >= 8, TimeSpan.FromSeconds(60)); }
            catch (TimeoutException e)
            {
                throw new TimeoutException($"{e.Message[..200]}\nstatus: {await silo.Client.StatusAsync(name)}\n{silo.Log}");
            }
            Assert.Equal([("r", 1), ("r", 2), ("c", 3), ("u", 1), ("d", 2), ("c", 4), ("c", 5)], Events(all));
            await silo.Client.SendAsync(HttpMethod.Delete, $"connectors/{name}");
        }
    }

    [Theory]
    [InlineData("plugin.name", "decoderbufs", "decoderbufs is not supported: set plugin.name=pgoutput")]
    [InlineData("snapshot.isolation.mode", "serializable", "The key 'snapshot.isolation.mode' is not supported by this PostgreSQL connector")]
    [InlineData("incremental.snapshot.chunk.size", "1024", "The key 'incremental.snapshot.chunk.size' is not supported by this PostgreSQL connector")]
    public async Task Unsupported_settings_are_refused_at_validate_naming_the_key(string key, string value, string message)
    {
        await using var silo = new SiloProcess(_dir, broker.BootstrapServers);
        await silo.StartAsync();
        var config = DocumentationConfig("p" + _suffix, "t");
        config[key] = value;
        var (status, json) = await silo.Client.SendAsync(HttpMethod.Post, "connectors",
            JsonSerializer.Serialize(new { name = "bad-" + _suffix, config }));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(message, (string?)json!["message"]);
    }
}
