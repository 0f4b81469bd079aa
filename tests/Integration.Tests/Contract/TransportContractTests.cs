using System.Text.Json.Nodes;
using OrleansConnect.Tests.Infrastructure;
using static OrleansConnect.Tests.Contract.ContractHttp;

namespace OrleansConnect.Tests.Contract;

/// <summary>Contract §1 and §2: the error body on every error (unknown path, wrong method, non-JSON body, bad JSON),
/// bodyless requests, GET / (row 1), GET /health (row 2) and the OpenAPI document of the whole API.</summary>
[Collection(BrokerCollection.Name)]
public sealed class TransportContractTests(TestBroker broker, TransportContractTests.Silo silo)
    : IClassFixture<TransportContractTests.Silo>, IAsyncLifetime
{
    public sealed class Silo : ContractSilo;

    private HttpClient Client => silo.Client;

    public Task InitializeAsync() => silo.StartAsync(broker);

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Root_answers_server_info()
    {
        var reply = await Client.Get("");
        AssertStatus(reply, 200);
        Assert.Equal(["commit", "kafka_cluster_id", "version"], reply.Object.Select(p => p.Key).Order());
        Assert.False(string.IsNullOrEmpty((string?)reply.Json!["version"]));
        Assert.StartsWith("mockCluster", (string?)reply.Json!["kafka_cluster_id"]);
    }

    [Fact]
    public async Task Health_is_healthy_once_started()
    {
        var reply = await Client.Get("health");
        AssertStatus(reply, 200);
        Assert.Equal("healthy", (string?)reply.Json!["status"]);
        Assert.Equal("Worker has completed startup and is ready to handle requests.", (string?)reply.Json!["message"]);
    }

    [Theory]
    [InlineData("GET", "no-such-path", 404, "HTTP 404 Not Found")]
    [InlineData("GET", "connectors/x/tasks/not-a-number/status", 404, "HTTP 404 Not Found")]
    [InlineData("DELETE", "connectors", 405, "HTTP 405 Method Not Allowed")]
    [InlineData("POST", "connectors/x/config", 405, "HTTP 405 Method Not Allowed")]
    public async Task Framework_errors_have_the_Connect_error_body(string method, string path, int status, string message)
    {
        var reply = await Client.SendAsync(new HttpMethod(method), path);
        AssertError(reply, status, message);
    }

    [Theory]
    [InlineData("POST", "connectors")]
    [InlineData("PUT", "connectors/x/config")]
    [InlineData("PATCH", "connectors/x/config")]
    [InlineData("PATCH", "connectors/x/offsets")]
    [InlineData("PUT", "connector-plugins/FileStreamSink/config/validate")]
    [InlineData("PUT", "admin/loggers/root")]
    public async Task A_body_that_is_not_json_is_415(string method, string path)
    {
        // What curl -d sends without -H 'Content-Type: application/json'.
        var reply = await Client.SendAsync(new HttpMethod(method), path, "{}", "application/x-www-form-urlencoded");
        AssertError(reply, 415, "HTTP 415 Unsupported Media Type");
    }

    [Theory]
    [InlineData("POST", "connectors", "{\"name\": ")]
    [InlineData("POST", "connectors", "[]")]
    [InlineData("POST", "connectors", "{\"name\":\"x\",\"config\":{},\"unknown\":1}")]
    [InlineData("POST", "connectors", "{\"name\":\"x\",\"config\":{\"a\":{}}}")]
    [InlineData("PUT", "connectors/x/config", "[1]")]
    [InlineData("POST", "connectors", "{\"name\":\"x\",\"config\":{\"connector.class\":\"FileStreamSink\",\"topics\":\"t\"},\"initial_state\":\"SLEEPING\"}")]
    public async Task A_malformed_or_misshaped_body_is_400_not_500(string method, string path, string body)
    {
        // The project's one deliberate deviation: Kafka answers 500 here (contract §1.2).
        var reply = await Client.SendAsync(new HttpMethod(method), path, body);
        AssertError(reply, 400);
        Assert.False(string.IsNullOrEmpty((string?)reply.Json!["message"]));
    }

    [Fact]
    public async Task Bodyless_puts_and_posts_need_no_content_type()
    {
        var name = Unique("bodyless");
        await Client.CreateAsync(name, new Dictionary<string, string>
        {
            ["connector.class"] = "FileStreamSink", ["topics"] = Unique("topic"), ["file"] = Path.Combine(silo.FilesDir, name + ".txt"),
        }, initialState: "STOPPED");
        AssertStatus(await Client.SendAsync(HttpMethod.Put, ConnectorPath(name, "pause"), contentType: null), 202);
        AssertStatus(await Client.SendAsync(HttpMethod.Put, ConnectorPath(name, "stop"), contentType: null), 204);
        AssertStatus(await Client.SendAsync(HttpMethod.Post, ConnectorPath(name, "restart"), contentType: null), 204);
        AssertStatus(await Client.SendAsync(HttpMethod.Put, ConnectorPath(name, "topics/reset"), contentType: null), 202);
        AssertStatus(await Client.SendAsync(HttpMethod.Delete, ConnectorPath(name), contentType: null), 204);
    }

    [Fact]
    public async Task Numbers_and_booleans_in_a_config_are_taken_as_their_text()
    {
        var name = Unique("scalars");
        var reply = await Client.Post("connectors",
            $$"""{"name":"{{name}}","config":{"connector.class":"FileStreamSink","topics":"t","tasks.max":2,"errors.log.enable":true},"initial_state":"stopped"}""");
        AssertStatus(reply, 201);
        Assert.Equal("2", (string?)reply.Json!["config"]!["tasks.max"]);
        Assert.Equal("true", (string?)reply.Json!["config"]!["errors.log.enable"]);
        AssertStatus(await Client.Delete(ConnectorPath(name)), 204);
    }

    [Fact]
    public async Task The_OpenAPI_document_describes_every_endpoint()
    {
        var reply = await Client.Get("openapi.json");
        AssertStatus(reply, 200);
        var paths = reply.Json!["paths"]!.AsObject();
        var expected = new (string Path, string Method)[]
        {
            ("/", "get"), ("/health", "get"), ("/connectors", "get"), ("/connectors", "post"), ("/connectors", "delete"),
            ("/connectors/{connector}", "get"), ("/connectors/{connector}", "delete"),
            ("/connectors/{connector}/config", "get"), ("/connectors/{connector}/config", "put"), ("/connectors/{connector}/config", "patch"),
            ("/connectors/{connector}/status", "get"), ("/connectors/{connector}/metrics", "get"), ("/connectors/{connector}/tasks", "get"), ("/connectors/{connector}/tasks-config", "get"),
            ("/connectors/{connector}/tasks/{task}/status", "get"), ("/connectors/{connector}/tasks/{task}/restart", "post"),
            ("/connectors/{connector}/restart", "post"), ("/connectors/{connector}/pause", "put"), ("/connectors/{connector}/resume", "put"),
            ("/connectors/{connector}/stop", "put"), ("/connectors/{connector}/topics", "get"), ("/connectors/{connector}/topics/reset", "put"),
            ("/connectors/{connector}/offsets", "get"), ("/connectors/{connector}/offsets", "patch"), ("/connectors/{connector}/offsets", "delete"),
            ("/connector-plugins", "get"), ("/connector-plugins/{plugin}/config", "get"), ("/connector-plugins/{plugin}/config/validate", "put"),
            ("/admin/loggers", "get"), ("/admin/loggers/{logger}", "get"), ("/admin/loggers/{logger}", "put"),
        };
        foreach (var (path, method) in expected)
        {
            var key = paths.Select(p => p.Key).FirstOrDefault(k => k.TrimEnd('/') == path.TrimEnd('/') || (path == "/" && k == "/"));
            Assert.True(key is not null, $"{path} missing from the OpenAPI document");
            Assert.True(paths[key!]!.AsObject().ContainsKey(method), $"{method.ToUpperInvariant()} {path} missing from the OpenAPI document");
        }
        var schemas = reply.Json!["components"]!["schemas"]!.AsObject();
        Assert.True(schemas.ContainsKey("ConnectorOffsets"), "ConnectorOffsets schema missing");
        Assert.Contains("order", schemas["ConfigKeyInfo"]!["properties"]!.AsObject().Select(p => p.Key));
    }
}
