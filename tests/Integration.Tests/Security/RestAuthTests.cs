using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using OrleansConnect.Tests.Contract;
using OrleansConnect.Tests.Infrastructure;
using static OrleansConnect.Tests.Contract.ContractHttp;

namespace OrleansConnect.Tests.Security;

/// <summary>HTTP Basic authentication and roles on a real silo process over loopback HTTP: everything but GET /health
/// asks for credentials (the dashboard too), a viewer only reads, an operator also pauses, resumes, stops and
/// restarts, an admin does everything; failed logins are logged without the password, and the credentials file is
/// re-read when the users command changes it.</summary>
[Collection(BrokerCollection.Name)]
public sealed class RestAuthTests(TestBroker broker, RestAuthTests.AuthSilo silo) : IClassFixture<RestAuthTests.AuthSilo>, IAsyncLifetime
{
    public const string AdminPassword = "admin pass: with colon";
    public const string OperatorPassword = "operator-pass";
    public const string ViewerPassword = "viewer-pässword";

    /// <summary>One silo with authentication on; its users are made with the silo binary's users command.</summary>
    public sealed class AuthSilo : IAsyncLifetime
    {
        private readonly SemaphoreSlim _gate = new(1, 1);
        public string Dir { get; } = Path.Combine(Path.GetTempPath(), "oc-auth-" + Guid.NewGuid().ToString("N")[..8]);
        public string CredentialsFile => Path.Combine(Dir, "users.credentials");
        public SiloProcess? Process { get; private set; }

        public async Task StartAsync(TestBroker broker)
        {
            await _gate.WaitAsync();
            try
            {
                if (Process is not null) return;
                Directory.CreateDirectory(Path.Combine(Dir, "files"));
                await SiloCommand.AddUserAsync(CredentialsFile, "alice", "admin", AdminPassword);
                await SiloCommand.AddUserAsync(CredentialsFile, "oscar", "operator", OperatorPassword);
                await SiloCommand.AddUserAsync(CredentialsFile, "vera", "viewer", ViewerPassword);
                var process = new SiloProcess(Path.Combine(Dir, "silo"), broker.BootstrapServers,
                    new Dictionary<string, string> { ["rest.auth.basic.credentials.file"] = CredentialsFile });
                await process.StartAsync();
                Process = process;
            }
            finally
            {
                _gate.Release();
            }
        }

        public Task InitializeAsync() => Task.CompletedTask;

        public async Task DisposeAsync()
        {
            if (Process is not null) await Process.DisposeAsync();
            try { Directory.Delete(Dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private readonly List<HttpClient> _clients = [];

    public Task InitializeAsync() => silo.StartAsync(broker);

    public Task DisposeAsync()
    {
        foreach (var client in _clients) client.Dispose();
        return Task.CompletedTask;
    }

    private SiloProcess Silo => silo.Process!;

    private HttpClient As(string? user, string? password)
    {
        var client = new HttpClient { BaseAddress = Silo.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (user is not null)
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        _clients.Add(client);
        return client;
    }

    private HttpClient Admin => As("alice", AdminPassword);
    private HttpClient Operator => As("oscar", OperatorPassword);
    private HttpClient Viewer => As("vera", ViewerPassword);

    private Dictionary<string, string> SourceConfig() => new()
    {
        ["connector.class"] = "FileStreamSource",
        ["file"] = Path.Combine(silo.Dir, "files", Guid.NewGuid().ToString("N") + ".txt"),
        ["topic"] = "auth-" + Guid.NewGuid().ToString("N")[..8],
        ["topic.creation.default.partitions"] = "1",
        ["topic.creation.default.replication.factor"] = "1",
    };

    private static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    private static void AssertChallenge(Reply reply)
    {
        AssertError(reply, 401);
        Assert.Equal("Basic realm=\"OrleansConnect\"", reply.Headers.WwwAuthenticate.ToString());
    }

    [Theory]
    [InlineData("GET", "")]
    [InlineData("GET", "connectors")]
    [InlineData("POST", "connectors")]
    [InlineData("GET", "connector-plugins")]
    [InlineData("PUT", "admin/loggers/root")]
    [InlineData("GET", "no/such/path")]
    [InlineData("GET", "openapi.json")]
    [InlineData("GET", "dashboard")]
    [InlineData("GET", "dashboard/")]
    [InlineData("GET", "dashboard/DashboardCounters")]
    public async Task Requests_without_credentials_get_401_with_a_basic_challenge_in_connects_error_format(string method, string path)
    {
        var reply = await ContractHttp.SendAsync(As(null, null), new HttpMethod(method), path, method == "GET" ? null : "{}");
        AssertChallenge(reply);
    }

    [Fact]
    public async Task Health_stays_open_without_credentials()
    {
        var reply = await As(null, null).Get("health");
        AssertStatus(reply, 200);
    }

    [Fact]
    public async Task A_wrong_password_and_an_unknown_user_get_the_same_401()
    {
        var wrong = await As("alice", "not the password").Get("connectors");
        var unknown = await As("nobody", AdminPassword).Get("connectors");
        AssertChallenge(wrong);
        AssertChallenge(unknown);
        Assert.Equal(wrong.Text, unknown.Text);
        var garbage = await SendWithAuthorizationAsync("Basic %%%not-base64");
        AssertChallenge(garbage);
    }

    private async Task<Reply> SendWithAuthorizationAsync(string authorization)
    {
        var client = As(null, null);
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        return await client.Get("connectors");
    }

    [Fact]
    public async Task A_viewer_reads_but_a_PUT_gets_403()
    {
        var name = Unique("viewed");
        await Admin.CreateAsync(name, SourceConfig());

        AssertStatus(await Viewer.Get("connectors"), 200);
        AssertStatus(await Viewer.Get(ConnectorPath(name, "config")), 200);
        AssertStatus(await Viewer.Get("connector-plugins"), 200);
        var dashboard = await Viewer.Get("dashboard/");
        AssertStatus(dashboard, 200);

        var put = await Viewer.Put(ConnectorPath(name, "config"), System.Text.Json.JsonSerializer.Serialize(SourceConfig()));
        AssertError(put, 403);
        Assert.Contains("vera", (string?)put.Json!["message"]);
        AssertError(await Viewer.Put(ConnectorPath(name, "pause")), 403);
        AssertError(await Viewer.Delete(ConnectorPath(name)), 403);
    }

    [Fact]
    public async Task An_operator_pauses_resumes_stops_and_restarts_but_cannot_create_update_or_delete()
    {
        var name = Unique("operated");
        await Admin.CreateAsync(name, SourceConfig());

        AssertStatus(await Operator.Put(ConnectorPath(name, "pause")), 202);
        await Operator.WaitForStatusAsync(name, s => (string?)s["connector"]?["state"] == "PAUSED", "paused by the operator");
        AssertStatus(await Operator.Put(ConnectorPath(name, "resume")), 202);
        AssertStatus(await Operator.Post(ConnectorPath(name, "restart")), 204);
        AssertStatus(await Operator.Put(ConnectorPath(name, "stop")), 204);
        await Operator.WaitForStatusAsync(name, s => (string?)s["connector"]?["state"] == "STOPPED", "stopped by the operator");
        AssertStatus(await Operator.Delete(ConnectorPath(name, "offsets")), 200);

        var body = new JsonObject { ["name"] = Unique("not-created"), ["config"] = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(SourceConfig())) };
        AssertError(await Operator.Post("connectors", body.ToJsonString()), 403);
        AssertError(await Operator.Put(ConnectorPath(name, "config"), System.Text.Json.JsonSerializer.Serialize(SourceConfig())), 403);
        AssertError(await Operator.Put("connector-plugins/FileStreamSource/config/validate", System.Text.Json.JsonSerializer.Serialize(SourceConfig())), 403);
        AssertError(await Operator.Put("admin/loggers/root", """{"level":"INFO"}"""), 403);
        AssertError(await Operator.Delete(ConnectorPath(name)), 403);
        AssertStatus(await Admin.Get(ConnectorPath(name)), 200);
    }

    [Fact]
    public async Task An_admin_creates_updates_validates_sets_loggers_and_deletes()
    {
        var name = Unique("administered");
        await Admin.CreateAsync(name, SourceConfig());
        AssertStatus(await Admin.Put(ConnectorPath(name, "config"), System.Text.Json.JsonSerializer.Serialize(SourceConfig())), 200);
        AssertStatus(await Admin.Put("connector-plugins/FileStreamSource/config/validate",
            System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string>(SourceConfig()) { ["name"] = name })), 200);
        AssertStatus(await Admin.Put("admin/loggers/OrleansConnect.Tests.Unused", """{"level":"INFO"}"""), 200);
        AssertStatus(await Admin.Put(ConnectorPath(name, "pause")), 202);
        AssertStatus(await Admin.Delete(ConnectorPath(name)), 204);
    }

    [Fact]
    public async Task A_failed_login_is_logged_with_the_user_and_address_but_never_the_password()
    {
        var password = "hunter2-" + Guid.NewGuid().ToString("N");
        var user = Unique("mallory");
        AssertChallenge(await As(user, password).Get("connectors"));
        AssertChallenge(await As("alice", password).Get("connectors"));

        await Eventually.Until(() => Task.FromResult(Silo.Log.Contains($"REST login failed for user alice from 127.0.0.1: wrong_password")),
            TimeSpan.FromSeconds(10), "the failed login's warning line");
        var log = Silo.Log;
        Assert.Contains($"REST login failed for user {user} from 127.0.0.1: unknown_user", log);
        Assert.DoesNotContain(password, log);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes($"alice:{password}")), log);
        Assert.DoesNotContain(AdminPassword, log);
    }

    [Fact]
    public async Task Users_added_and_removed_with_the_users_command_apply_without_a_restart()
    {
        var user = Unique("late");
        const string password = "late-password";
        AssertChallenge(await As(user, password).Get("connectors"));

        await SiloCommand.AddUserAsync(silo.CredentialsFile, user, "viewer", password);
        await Eventually.Until(async () => (await As(user, password).Get("connectors")).Status == 200, TimeSpan.FromSeconds(15),
            "the added user logs in");

        var removed = await SiloCommand.RunAsync(["users", "remove", "--file", silo.CredentialsFile, "--user", user]);
        Assert.True(removed.Code == 0, removed.ToString());
        await Eventually.Until(async () => (await As(user, password).Get("connectors")).Status == 401, TimeSpan.FromSeconds(15),
            "the removed user is refused");
        AssertStatus(await Admin.Get("connectors"), 200);
    }
}
