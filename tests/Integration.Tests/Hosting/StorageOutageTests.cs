using System.Net;
using System.Text.Json.Nodes;
using Npgsql;
using OrleansConnect.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansConnect.Tests.Hosting;

/// <summary>A silo process on PostgreSQL whose server goes away for longer than the silo's retry budget: REST calls that
/// need storage answer 500 in Connect's format with a message naming the storage and the operation (never the password,
/// never Orleans' codec error), and once the server is back the same create answers 201.</summary>
[Collection(BrokerCollection.Name)]
public sealed class StorageOutageTests(TestBroker broker, ITestOutputHelper output) : IAsyncLifetime
{
    // Trust authentication ignores it; it is there to prove it never shows.
    private const string Password = "pw-never-shown-93ab";
    private const int PoolMax = 3;

    private readonly PostgresServer _postgres = new();
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "oc-outage-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..6];
    private SiloProcess _silo = null!;

    public async Task InitializeAsync()
    {
        await _postgres.InitializeAsync();
        var connectionString = new NpgsqlConnectionStringBuilder(_postgres.ConnectionString) { Password = Password }.ConnectionString;
        _silo = new SiloProcess(_dir, broker.BootstrapServers, new Dictionary<string, string>
        {
            ["storage.provider"] = "postgresql",
            ["storage.connection.string"] = connectionString,
            ["storage.connection.pool.max"] = PoolMax.ToString(),
        });
        await _silo.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _silo.DisposeAsync();
        await _postgres.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private string CreateBody(string name, string topic) => new JsonObject
    {
        ["name"] = name,
        ["config"] = new JsonObject
        {
            ["connector.class"] = "FileStreamSink",
            ["topics"] = topic,
            ["file"] = Path.Combine(_dir, name + ".txt"),
        },
    }.ToJsonString();

    [Fact]
    public async Task A_storage_outage_answers_500_naming_the_storage_and_operation_and_the_same_create_succeeds_once_it_is_back()
    {
        var topic = "outage-" + _suffix;
        broker.Broker.CreateTopic(topic, 1);
        var client = _silo.Client;
        var before = "before-" + _suffix;
        var (created, _) = await client.SendAsync(HttpMethod.Post, "connectors", CreateBody(before, topic));
        Assert.Equal(HttpStatusCode.Created, created);
        await client.WaitForStateAsync(before, "RUNNING", 1, TimeSpan.FromSeconds(30));
        // The worker key reached the providers' pool.
        Assert.Contains($"at most {PoolMax} pooled connections for this connection string", _silo.Log);
        Assert.True(await SessionsAsync() <= PoolMax, $"more than {PoolMax} sessions on the silo's database");

        await _postgres.StopAsync("immediate");

        // A new connector's grain reads its state when it activates.
        var during = "during-" + _suffix;
        var (status, body) = await client.SendAsync(HttpMethod.Post, "connectors", CreateBody(during, topic));
        output.WriteLine($"create while down: {(int)status} {body?.ToJsonString()}");
        AssertStorageError(status, body, $"PostgreSQL storage: could not read the state of connector '{during}' (");

        // An active connector's change writes its state.
        (status, body) = await client.SendAsync(HttpMethod.Put, $"connectors/{before}/pause");
        output.WriteLine($"pause while down: {(int)status} {body?.ToJsonString()}");
        AssertStorageError(status, body, $"PostgreSQL storage: could not write the state of connector '{before}' (");

        await _postgres.RestartAsync();

        // The failed create stored nothing: the same request creates the connector. Orleans keeps a grain whose activation
        // failed a few seconds before it tries again, answering with the same failure meanwhile.
        var (again, againBody) = await Eventually.Until(() => client.SendAsync(HttpMethod.Post, "connectors", CreateBody(during, topic)),
            r => r.Status != HttpStatusCode.InternalServerError, TimeSpan.FromSeconds(30),
            r => $"the create to succeed once PostgreSQL is back; last answer {(int)r.Status} {r.Body?.ToJsonString()}");
        Assert.True(again == HttpStatusCode.Created, $"{(int)again} {againBody?.ToJsonString()}");

        // What an operator sees, for the record.
        output.WriteLine(string.Join("\n", _silo.Log.Split('\n').Where(l => l.Contains("warn:") || l.Contains("fail:") || l.Contains("crit:")).Take(60)));
        Assert.DoesNotContain("CodecNotFoundException", _silo.Log);
        Assert.DoesNotContain(Password, _silo.Log);
        Assert.Contains($"PostgreSQL storage: could not read the state of connector '{during}' after", _silo.Log);
    }

    private static void AssertStorageError(HttpStatusCode status, JsonNode? body, string expectedStart)
    {
        var text = body?.ToJsonString() ?? "";
        Assert.True(status == HttpStatusCode.InternalServerError, $"{(int)status} {text}");
        Assert.Equal(500, (int?)body?["error_code"]);
        var message = (string?)body?["message"] ?? "";
        Assert.StartsWith(expectedStart, message);
        Assert.Contains("Connection refused", message);
        Assert.Contains("gave up after", message);
        Assert.DoesNotContain(Password, text);
        Assert.DoesNotContain("Username=", text);
        Assert.DoesNotContain("Codec", text);
        // One line for the client: no stack trace, no Orleans wrapper text.
        Assert.DoesNotContain("\n", message);
        Assert.DoesNotContain("Error from storage provider", message);
    }

    private async Task<long> SessionsAsync()
    {
        var admin = new NpgsqlConnectionStringBuilder(_postgres.ConnectionString) { Database = "postgres", Pooling = false }.ConnectionString;
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE datname = @db", connection);
        command.Parameters.AddWithValue("db", _postgres.Database);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
