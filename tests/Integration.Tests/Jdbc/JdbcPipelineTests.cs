using Npgsql;
using OrleansConnect.Tests.Infrastructure;

namespace OrleansConnect.Tests.Jdbc;

/// <summary>Issue 20's end-to-end pipeline (with the JDBC source standing in for change data capture until that lands):
/// table A → JDBC source (timestamp+incrementing) → topic → JDBC sink (upsert) → table B in a second database, with a
/// kill -9 of the silo while rows are being written and updates of every column after it. B ends equal to A.</summary>
public sealed class JdbcPipelineTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private readonly PostgresServer _postgres = new();
    private readonly TestBroker _broker = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("oc-jdbc-pipeline-").FullName;
    private readonly string _target = "b_" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _groupId = "jdbc-pipeline-" + Guid.NewGuid().ToString("N")[..8];

    public Task InitializeAsync() => _postgres.InitializeAsync();

    public async Task DisposeAsync()
    {
        await _postgres.DisposeAsync();
        _broker.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    // The same state directory and cluster each time: a restart resumes the connectors the killed silo ran.
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

    private const string Rows = "SELECT COALESCE(string_agg(row(id, s, i, b, sm, f, d, flag, n, day, t, ts, bin, updated)::text, E'\\n' ORDER BY id), '') FROM ";

    private static string Insert(int from, int count) =>
        "INSERT INTO a (s, i, b, sm, f, d, flag, n, day, t, ts, bin) SELECT 'row ' || g, g, g * 1000000000::bigint, (g % 30000)::smallint, g / 8.0, g / 3.0, g % 2 = 0, " +
        "(g / 7.0)::numeric(12,3), DATE '2020-01-01' + g, TIME '00:00:00' + g * INTERVAL '1.001 second', TIMESTAMP '2024-01-01 00:00:00' + g * INTERVAL '1.001 second', " +
        $"decode(lpad(to_hex(g), 8, '0'), 'hex') FROM generate_series({from}, {from + count - 1}) AS g";

    [Fact]
    public async Task Table_B_equals_table_A_after_inserts_updates_of_every_column_and_a_kill_of_the_silo_mid_stream()
    {
        await ExecuteAsync(Source, $"CREATE DATABASE {_target}");
        await ExecuteAsync(Source, "CREATE TABLE a (id BIGSERIAL PRIMARY KEY, s TEXT, i INT, b BIGINT, sm SMALLINT, f REAL, d DOUBLE PRECISION, flag BOOLEAN, " +
            "n NUMERIC(12,3), day DATE, t TIME(3), ts TIMESTAMP(3), bin BYTEA, updated TIMESTAMP(3) NOT NULL DEFAULT clock_timestamp())");
        _broker.Broker.CreateTopic("p-a", 1);
        var url = $"jdbc:postgresql://127.0.0.1:{_postgres.Port}";
        var silo = NewSilo();
        await silo.StartAsync();
        try
        {
            await silo.Client.CreateConnectorAsync("a-source", new Dictionary<string, string>
            {
                ["connector.class"] = "io.confluent.connect.jdbc.JdbcSourceConnector",
                ["connection.url"] = $"{url}/{_postgres.Database}?user=postgres",
                ["mode"] = "timestamp+incrementing",
                ["incrementing.column.name"] = "id",
                ["timestamp.column.name"] = "updated",
                ["table.whitelist"] = "a",
                ["topic.prefix"] = "p-",
                ["poll.interval.ms"] = "200",
                ["batch.max.rows"] = "100",
            });
            await silo.Client.CreateConnectorAsync("b-sink", new Dictionary<string, string>
            {
                ["connector.class"] = "io.confluent.connect.jdbc.JdbcSinkConnector",
                ["connection.url"] = $"{url}/{_target}",
                ["connection.user"] = "postgres",
                ["topics"] = "p-a",
                ["table.name.format"] = "b",
                ["insert.mode"] = "upsert",
                ["pk.mode"] = "record_value",
                ["pk.fields"] = "id",
                ["auto.create"] = "true",
            });

            // Rows keep coming while the silo is killed.
            var writer = Task.Run(async () =>
            {
                for (var round = 0; round < 30; round++)
                {
                    await ExecuteAsync(Source, Insert(round * 50 + 1, 50));
                    await Task.Delay(50);
                }
            });
            await Eventually.Until(async () =>
            {
                try { return long.Parse(await ScalarTextAsync(Target, "SELECT count(*) FROM b")); }
                catch (PostgresException) { return 0; }
            }, count => count >= 200, Timeout, count => $"{count} rows in B\n{silo.Log}");
            await silo.KillAsync();
            await writer;
        }
        finally
        {
            await silo.DisposeAsync();
        }

        // Every column of some rows changes while no silo runs, and a last batch arrives.
        await ExecuteAsync(Source, "UPDATE a SET s = s || ' changed', i = -i, b = -b, sm = -sm, f = -f, d = -d, flag = NOT flag, n = -n, " +
            "day = day + 1, t = t + INTERVAL '1 hour', ts = ts + INTERVAL '1 day', bin = bin || '\\xff'::bytea, updated = clock_timestamp() WHERE id % 7 = 0");
        await ExecuteAsync(Source, "UPDATE a SET s = NULL, i = NULL, n = NULL, ts = NULL, bin = NULL, updated = clock_timestamp() WHERE id % 11 = 0");
        await ExecuteAsync(Source, Insert(1501, 100));

        var again = NewSilo();
        await again.StartAsync();
        try
        {
            var expected = await ScalarTextAsync(Source, Rows + "a");
            Assert.Equal(1600, expected.Split('\n').Length);
            await Eventually.Until(() => ScalarTextAsync(Target, Rows + "b"), actual => actual == expected, Timeout,
                actual => $"B differs from A: {Diff(expected, actual)}\n{again.Log}");
        }
        finally
        {
            await again.DisposeAsync();
        }
    }

    private static string Diff(string expected, string? actual)
    {
        var a = expected.Split('\n');
        var b = (actual ?? "").Split('\n');
        var first = a.Zip(b).Select((p, i) => (p, i)).FirstOrDefault(x => x.p.First != x.p.Second);
        return $"{a.Length} rows in A, {b.Length} in B; first difference at row {first.i}: A {first.p.First} | B {first.p.Second}";
    }
}
