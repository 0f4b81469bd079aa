using System.Net;
using OrleansConnect.Tests.Infrastructure;

namespace OrleansConnect.Tests;

/// <summary>Bad connector configs are refused with 400 and Connect's error body, and nothing is stored.</summary>
[Collection(BrokerCollection.Name)]
public sealed class ConfigValidationTests(TestBroker broker) : IAsyncLifetime
{
    private readonly SiloProcess _silo = new(Path.Combine(Path.GetTempPath(), "oc-validate-" + Guid.NewGuid().ToString("N")[..8]), broker.BootstrapServers);

    public Task InitializeAsync() => _silo.StartAsync();

    public async Task DisposeAsync()
    {
        await _silo.DisposeAsync();
        try { Directory.Delete(_silo.WorkDir, recursive: true); } catch (IOException) { }
    }

    [Theory]
    [InlineData("""{"name":"no-class","config":{"topics":"t"}}""", "contains no connector type")]
    [InlineData("""{"name":"bad-class","config":{"connector.class":"com.example.Missing","topics":"t"}}""", "Failed to find any class that implements Connector")]
    [InlineData("""{"name":"bad-tasks","config":{"connector.class":"FileStreamSink","topics":"t","tasks.max":"zero"}}""", "Invalid value zero for configuration tasks.max: Not a number of type INT")]
    [InlineData("""{"name":"no-topics","config":{"connector.class":"FileStreamSink"}}""", "Must configure one of topics or topics.regex")]
    [InlineData("""{"name":"no-topic","config":{"connector.class":"FileStreamSource"}}""", "Missing required configuration \"topic\" which has no default value.")]
    [InlineData("""{"name":"x","config":{"connector.class":"FileStreamSink","topics":"t"}""", "")]
    public async Task A_bad_config_gets_400_with_the_Connect_error_body_and_is_not_stored(string body, string expectedMessage)
    {
        var (status, json) = await _silo.Client.SendAsync(HttpMethod.Post, "connectors", body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.NotNull(json);
        Assert.Equal(400, (int?)json!["error_code"]);
        Assert.Contains(expectedMessage, (string?)json["message"]);
        Assert.Equal(2, json.AsObject().Count);
        var (_, list) = await _silo.Client.SendAsync(HttpMethod.Get, "connectors");
        Assert.Empty(list!.AsArray());
    }

    [Fact]
    public async Task A_config_name_that_differs_from_the_url_is_refused()
    {
        var (status, json) = await _silo.Client.SendAsync(HttpMethod.Put, "connectors/left/config",
            """{"name":"right","connector.class":"FileStreamSink","topics":"t"}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("Connector name configuration (right) doesn't match connector name in the URL (left)", (string?)json!["message"]);
    }
}
