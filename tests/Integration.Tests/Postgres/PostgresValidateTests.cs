using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using OrleansConnect.Tests.Infrastructure;

namespace OrleansConnect.Tests.Postgres;

/// <summary>Issue 19, item 5: validate (PUT /connector-plugins/.../config/validate, and so create) connects to the
/// database, as Debezium's validate does: a wrong password, an unknown database, a role without REPLICATION and a
/// server with wal_level=replica are errors on database.hostname saying what to change, never showing the password.</summary>
[Collection(BrokerCollection.Name)]
public sealed class PostgresValidateTests(TestBroker broker, RecoveryPostgres pg) : IClassFixture<RecoveryPostgres>, IAsyncLifetime
{
    private const string Secret = "pg-Secret-9931";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "oc-cdcv-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..6];
    private readonly PostgresServer _replicaOnly = new() { MaxConnections = 10 };
    private SiloProcess _silo = null!;

    public async Task InitializeAsync()
    {
        await _replicaOnly.InitializeAsync();
        _silo = new SiloProcess(_dir, broker.BootstrapServers);
        await _silo.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _silo.DisposeAsync();
        await _replicaOnly.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private Dictionary<string, string> Config(string user, string password, string? database = null, int? port = null) => new()
    {
        ["name"] = "validated-" + _suffix,
        ["connector.class"] = "io.debezium.connector.postgresql.PostgresConnector",
        ["database.hostname"] = "127.0.0.1",
        ["database.port"] = (port ?? pg.Server.Port).ToString(),
        ["database.user"] = user,
        ["database.password"] = password,
        ["database.dbname"] = database ?? pg.Server.Database,
        ["topic.prefix"] = "v" + _suffix,
    };

    private async Task<List<string>> ValidateAsync(Dictionary<string, string> config)
    {
        var (status, body) = await _silo.Client.SendAsync(HttpMethod.Put, "connector-plugins/PostgresConnector/config/validate", JsonSerializer.Serialize(config));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.DoesNotContain(Secret, body!.ToJsonString());
        return body["configs"]!.AsArray().SelectMany(c => c!["value"]!["errors"]!.AsArray().Select(e => $"{c["value"]!["name"]}: {e}")).ToList();
    }

    [Fact]
    public async Task Login_database_replication_privilege_and_wal_level_are_checked_at_validate_and_create()
    {
        var role = "cdc_" + _suffix;
        var plain = "plain_" + _suffix;
        await pg.ExecuteAsync($"CREATE ROLE {role} LOGIN REPLICATION PASSWORD '{Secret}'; CREATE ROLE {plain} LOGIN PASSWORD '{Secret}'");
        var where = $"PostgreSQL at 127.0.0.1:{pg.Server.Port}";

        Assert.Empty(await ValidateAsync(Config(role, Secret)));

        Assert.Equal([$"database.hostname: Error while validating connector config: {where} refused user '{role}': "
            + $"password authentication failed for user \"{role}\" (check database.user and database.password)"],
            await ValidateAsync(Config(role, "not-" + Secret)));

        Assert.Equal([$"database.hostname: Error while validating connector config: {where}: database 'nowhere' does not exist "
            + "(database \"nowhere\" does not exist; check database.dbname)"],
            await ValidateAsync(Config(role, Secret, database: "nowhere")));

        Assert.Equal([$"database.hostname: Error while validating connector config: User '{plain}' lacks the REPLICATION privilege it needs "
            + $"to stream changes (ALTER ROLE {plain} REPLICATION)"],
            await ValidateAsync(Config(plain, Secret)));

        Assert.Equal([$"database.hostname: Error while validating connector config: PostgreSQL at 127.0.0.1:{_replicaOnly.Port} has wal_level=replica; "
            + "change data capture needs wal_level=logical (set it in postgresql.conf and restart the server)"],
            await ValidateAsync(Config("postgres", "unused", _replicaOnly.Database, _replicaOnly.Port)));

        var unreachable = Assert.Single(await ValidateAsync(Config(role, Secret, port: FreePort())));
        Assert.StartsWith("database.hostname: Error while validating connector config: Cannot connect to PostgreSQL at 127.0.0.1:", unreachable);
        Assert.Contains("check database.hostname and database.port", unreachable);

        // Creating refuses the same configs with Connect's 400.
        var wrong = Config(role, "not-" + Secret);
        wrong.Remove("name");
        var create = new JsonObject { ["name"] = "pg-wrong-" + _suffix, ["config"] = JsonSerializer.SerializeToNode(wrong) };
        var (status, body) = await _silo.Client.SendAsync(HttpMethod.Post, "connectors", create.ToJsonString());
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("Connector configuration is invalid and contains the following 1 error(s):\nError while validating connector config: "
            + $"{where} refused user '{role}': password authentication failed", (string?)body!["message"]);
        Assert.DoesNotContain(Secret, body.ToJsonString());
        Assert.DoesNotContain(Secret, _silo.Log);
    }

    private static int FreePort()
    {
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
