using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Confluent.Kafka;
using Npgsql;
using OrleansConnect.Tests.ErrorHandling;
using OrleansConnect.Tests.Infrastructure;

namespace OrleansConnect.Tests.Jdbc;

/// <summary>A PostgreSQL where users other than postgres log in with a password, a test broker and one silo.</summary>
public sealed class PasswordJdbcFixture : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "oc-jdbcpw-" + Guid.NewGuid().ToString("N")[..8]);

    public PostgresServer Postgres { get; } = new() { MaxConnections = 40, PasswordAuthentication = true };
    public TestBroker Broker { get; } = new();
    public SiloProcess Silo { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Postgres.InitializeAsync();
        // A failed task stays FAILED long enough to be seen.
        Silo = new SiloProcess(_dir, Broker.BootstrapServers, new Dictionary<string, string> { ["task.restart.backoff.initial.ms"] = "60000" });
        await Silo.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await Silo.DisposeAsync();
        Broker.Dispose();
        await Postgres.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(Postgres.ConnectionString.Replace("Pooling=true", "Pooling=false"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>Issue 20, item 5: a wrong password and an unreachable server for the JDBC sink and source: a clear error on
/// connection.url at validate and at create (as Confluent's 10.9 connectors test the connection at validate), a FAILED
/// task or connector with a readable trace when the password changes under a created connector, and the sink's
/// retries when the server goes away; never the password in a response, trace or log.</summary>
public sealed class JdbcConnectionFaultTests(PasswordJdbcFixture fixture) : IClassFixture<PasswordJdbcFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);
    private const string Secret = "pw-Right-4711";
    private const string WrongSecret = "pw-Wrong-0815";
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..6];

    private string Url(int? port = null, string? database = null) => $"jdbc:postgresql://127.0.0.1:{port ?? fixture.Postgres.Port}/{database ?? fixture.Postgres.Database}";

    private Dictionary<string, string> Sink(string topic, string user, string password, string? url = null) => new()
    {
        ["connector.class"] = "io.confluent.connect.jdbc.JdbcSinkConnector",
        ["topics"] = topic,
        ["connection.url"] = url ?? Url(),
        ["connection.user"] = user,
        ["connection.password"] = password,
        ["pk.mode"] = "record_key",
        ["insert.mode"] = "upsert",
        ["key.converter"] = "org.apache.kafka.connect.json.JsonConverter",
        ["value.converter"] = "org.apache.kafka.connect.json.JsonConverter",
    };

    private Dictionary<string, string> Source(string table, string user, string password, string? url = null) => new()
    {
        ["connector.class"] = "io.confluent.connect.jdbc.JdbcSourceConnector",
        ["connection.url"] = url ?? Url(),
        ["connection.user"] = user,
        ["connection.password"] = password,
        ["mode"] = "incrementing",
        ["incrementing.column.name"] = "id",
        ["table.whitelist"] = table,
        ["topic.prefix"] = "src-",
    };

    private async Task<string> RoleAsync(string table)
    {
        var role = "writer_" + _suffix;
        await fixture.ExecuteAsync($"CREATE ROLE {role} LOGIN PASSWORD '{Secret}'; CREATE TABLE {table} (id int8 PRIMARY KEY, note text); "
            + $"GRANT ALL ON TABLE {table} TO {role}");
        return role;
    }

    private static int UnusedPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private async Task<List<string>> ValidateAsync(string plugin, Dictionary<string, string> config)
    {
        config["name"] = "validated";
        var (status, body) = await fixture.Silo.Client.SendAsync(HttpMethod.Put, $"connector-plugins/{plugin}/config/validate", JsonSerializer.Serialize(config));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.DoesNotContain(Secret, body!.ToJsonString());
        Assert.DoesNotContain(WrongSecret, body.ToJsonString());
        return body["configs"]!.AsArray().SelectMany(c => c!["value"]!["errors"]!.AsArray().Select(e => $"{c["value"]!["name"]}: {e}")).ToList();
    }

    private static Message<byte[]?, byte[]?> Row(long id) => new()
    {
        Key = Encoding.UTF8.GetBytes($$$"""{"schema":{"type":"struct","fields":[{"field":"id","type":"int64"}]},"payload":{"id":{{{id}}}}}"""),
        Value = Encoding.UTF8.GetBytes($$$"""{"schema":{"type":"struct","fields":[{"field":"id","type":"int64"},{"field":"note","type":"string","optional":true}]},"payload":{"id":{{{id}}},"note":"n{{{id}}}"}}"""),
    };

    [Theory]
    [InlineData("JdbcSinkConnector")]
    [InlineData("JdbcSourceConnector")]
    public async Task A_wrong_password_and_an_unreachable_server_are_errors_on_connection_url_at_validate_and_create(string plugin)
    {
        var table = "v_" + _suffix;
        var role = await RoleAsync(table);
        Dictionary<string, string> Config(string password, string? url = null) =>
            plugin == "JdbcSinkConnector" ? Sink("t_" + _suffix, role, password, url) : Source(table, role, password, url);

        Assert.Empty(await ValidateAsync(plugin, Config(Secret)));

        var wrong = await ValidateAsync(plugin, Config(WrongSecret));
        Assert.Equal([$"connection.url: Could not connect to database. PostgreSQL at 127.0.0.1:{fixture.Postgres.Port}/{fixture.Postgres.Database} as user '{role}' "
            + $"refused the login: password authentication failed for user \"{role}\" (SQLSTATE 28P01; check connection.user and connection.password)"], wrong);

        var unknownDb = await ValidateAsync(plugin, Config(Secret, Url(database: "nowhere")));
        Assert.Equal([$"connection.url: Could not connect to database. PostgreSQL at 127.0.0.1:{fixture.Postgres.Port}/nowhere as user '{role}': "
            + "database \"nowhere\" does not exist (SQLSTATE 3D000; check the database in connection.url)"], unknownDb);

        var port = UnusedPort();
        var unreachable = Assert.Single(await ValidateAsync(plugin, Config(Secret, Url(port))));
        Assert.StartsWith($"connection.url: Could not connect to database. Cannot reach PostgreSQL at 127.0.0.1:{port}/{fixture.Postgres.Database} as user '{role}': ", unreachable);
        Assert.Contains("Connection refused", unreachable);
        Assert.EndsWith("(check the host and port in connection.url)", unreachable);

        // Creating refuses the same config with Connect's 400.
        var name = "jdbc-create-" + plugin + _suffix;
        var create = new JsonObject { ["name"] = name, ["config"] = JsonSerializer.SerializeToNode(Config(WrongSecret)) };
        var (status, body) = await fixture.Silo.Client.SendAsync(HttpMethod.Post, "connectors", create.ToJsonString());
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("Connector configuration is invalid and contains the following 1 error(s):\nCould not connect to database.", (string?)body!["message"]);
        Assert.Contains("password authentication failed", (string?)body["message"]);
        Assert.DoesNotContain(WrongSecret, body.ToJsonString());
        Assert.DoesNotContain(Secret, fixture.Silo.Log);
        Assert.DoesNotContain(WrongSecret, fixture.Silo.Log);
    }

    [Fact]
    public async Task A_password_changed_under_created_connectors_fails_the_sink_task_and_the_source_readably()
    {
        var table = "r_" + _suffix;
        var role = await RoleAsync(table);
        var topic = "rotated_" + _suffix;
        fixture.Broker.Broker.CreateTopic(topic, 1);
        var sink = "jdbc-rot-sink-" + _suffix;
        var source = "jdbc-rot-source-" + _suffix;
        var sinkConfig = Sink(topic, role, Secret);
        sinkConfig["table.name.format"] = table;
        await fixture.Silo.Client.CreateConnectorAsync(sink, sinkConfig);
        await fixture.Silo.Client.CreateConnectorAsync(source, Source(table, role, Secret));
        await fixture.Silo.Client.WaitForStateAsync(sink, "RUNNING", 1, Timeout);

        // The password is rotated in the database but not in the connectors, which start again.
        await fixture.ExecuteAsync($"ALTER ROLE {role} PASSWORD 'rotated-elsewhere'");
        foreach (var name in new[] { sink, source })
        {
            var (status, body) = await fixture.Silo.Client.SendAsync(HttpMethod.Post, $"connectors/{name}/restart?includeTasks=true");
            Assert.True(status is HttpStatusCode.OK or HttpStatusCode.Accepted or HttpStatusCode.NoContent, $"{(int)status} {body}");
        }
        await KafkaTopics.ProduceAsync(fixture.Broker.BootstrapServers, topic, [Row(1)]);

        var failed = await fixture.Silo.Client.WaitForTaskStateAsync(sink, 0, "FAILED", Timeout);
        var trace = (string)failed!["tasks"]![0]!["trace"]!;
        Assert.Contains($"Cannot connect to PostgreSQL at 127.0.0.1:{fixture.Postgres.Port}/{fixture.Postgres.Database} as user '{role}': "
            + $"password authentication failed for user \"{role}\" (SQLSTATE 28P01)", trace);
        Assert.DoesNotContain(Secret, trace);

        var sourceFailed = await Eventually.Until(() => fixture.Silo.Client.StatusAsync(source),
            s => (string?)s?["connector"]?["state"] == "FAILED", Timeout, s => $"source connector FAILED; last status {s?.ToJsonString()}");
        var sourceTrace = (string)sourceFailed!["connector"]!["trace"]!;
        Assert.Contains($"Cannot connect to PostgreSQL to list its tables: password authentication failed for user \"{role}\" (SQLSTATE 28P01)", sourceTrace);
        Assert.DoesNotContain(Secret, sourceTrace);
        Assert.DoesNotContain(Secret, fixture.Silo.Log);
    }

    [Fact]
    public async Task A_server_that_goes_away_is_retried_max_retries_times_then_fails_the_sink_task()
    {
        // A server of its own, stopped for good once the connector is created.
        var postgres = new PostgresServer { MaxConnections = 10 };
        await postgres.InitializeAsync();
        var topic = "gone_" + _suffix;
        fixture.Broker.Broker.CreateTopic(topic, 1);
        var name = "jdbc-gone-" + _suffix;
        var config = Sink(topic, "postgres", "unused", $"jdbc:postgresql://127.0.0.1:{postgres.Port}/{postgres.Database}");
        config["auto.create"] = "true";
        config["max.retries"] = "2";
        config["retry.backoff.ms"] = "200";
        config["connection.attempts"] = "1";
        try
        {
            await fixture.Silo.Client.CreateConnectorAsync(name, config);
        }
        finally
        {
            await postgres.DisposeAsync();
        }
        await KafkaTopics.ProduceAsync(fixture.Broker.BootstrapServers, topic, [Row(1)]);

        var failed = await fixture.Silo.Client.WaitForTaskStateAsync(name, 0, "FAILED", Timeout);
        var trace = (string?)failed!["tasks"]![0]!["trace"];
        Assert.Contains($"Write of 1 records failed after 2 retries (max.retries): Cannot connect to PostgreSQL at 127.0.0.1:{postgres.Port}", trace);
        Assert.Equal(2, fixture.Silo.Log.Split('\n').Count(l => l.Contains($"Task {name}-0 put threw a RetriableException")));
    }
}
