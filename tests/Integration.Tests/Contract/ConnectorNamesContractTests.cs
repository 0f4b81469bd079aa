using System.Text.Json;
using System.Text.Json.Nodes;
using OrleansConnect.Tests.Infrastructure;
using static OrleansConnect.Tests.Contract.ContractHttp;

namespace OrleansConnect.Tests.Contract;

/// <summary>Connector names users can address: names no URL path segment carries back ('.', '..', '/', '\',
/// unpaired surrogates), names over 249 characters and names with ISO control characters are refused at create
/// with 400; every other name works through its percent-encoded path; a stored name of the refused kind (here given
/// on the command line) can still be deleted with DELETE /connectors?name=.</summary>
[Collection(BrokerCollection.Name)]
public sealed class ConnectorNamesContractTests(TestBroker broker, ConnectorNamesContractTests.Silo silo)
    : IClassFixture<ConnectorNamesContractTests.Silo>, IAsyncLifetime
{
    public sealed class Silo : ContractSilo;

    private HttpClient Client => silo.Client;

    public Task InitializeAsync() => silo.StartAsync(broker);

    public Task DisposeAsync() => Task.CompletedTask;

    private static Dictionary<string, string> SinkConfig() => new() { ["connector.class"] = "FileStreamSink", ["topics"] = "t" };

    private Task<Reply> CreateAsync(string name) =>
        Client.Post("connectors", JsonSerializer.Serialize(new { name, config = SinkConfig() }));

    public static TheoryData<string, string> Unaddressable => new()
    {
        { ".", "Connector name '.' is not allowed: '.' and '..' are path segments a URL cannot carry as a name" },
        { "..", "Connector name '..' is not allowed: '.' and '..' are path segments a URL cannot carry as a name" },
        { " .. ", "Connector name '..' is not allowed: '.' and '..' are path segments a URL cannot carry as a name" },
        { "a/b", "Connector name 'a/b' may not contain '/': a URL cannot carry it in a path segment" },
        { "a\\b", "Connector name 'a\\b' may not contain '\\': a URL cannot carry it in a path segment" },
        { new string('n', 250), "Connector name is 250 characters long; the limit is 249" },
    };

    [Theory]
    [MemberData(nameof(Unaddressable))]
    public async Task Post_refuses_a_name_a_url_cannot_carry(string name, string message)
    {
        AssertError(await CreateAsync(name), 400, message);
        var list = await Client.Get("connectors");
        Assert.DoesNotContain(name.Trim(), list.Array.Select(n => (string?)n));
    }

    [Theory]
    [InlineData("a\u0001b", "1")]
    [InlineData("tab\there", "9")]
    [InlineData("del\u007f", "127")]
    [InlineData("c1\u0085", "133")]
    public async Task Post_and_put_refuse_iso_control_characters(string name, string codes)
    {
        var reply = await CreateAsync(name);
        AssertError(reply, 400);
        Assert.Contains($"String may not contain control sequences but had the following ASCII chars: {codes}", (string?)reply.Json!["message"]);
        var put = await Client.Put(ConnectorPath(name, "config"), JsonSerializer.Serialize(SinkConfig()));
        AssertError(put, 400);
        Assert.Contains("String may not contain control sequences", (string?)put.Json!["message"]);
    }

    [Fact]
    public async Task An_unpaired_surrogate_is_refused()
    {
        // "\ud800" alone: System.Text.Json refuses it as text that is not UTF-16, before the name check would.
        AssertError(await Client.Post("connectors", """{"name":"x\ud800","config":{"connector.class":"FileStreamSink","topics":"t"}}"""), 400);
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    public async Task Put_config_refuses_a_name_with_a_separator(string name)
    {
        var reply = await Client.Put(ConnectorPath(name, "config"), JsonSerializer.Serialize(SinkConfig()));
        AssertError(reply, 400, $"Connector name '{name}' may not contain '{name[1]}': a URL cannot carry it in a path segment");
        AssertError(await Client.Get(ConnectorPath(name)), 404);
    }

    [Fact]
    public async Task Put_config_refuses_a_name_over_249_characters()
    {
        var reply = await Client.Put(ConnectorPath(new string('p', 300), "config"), JsonSerializer.Serialize(SinkConfig()));
        AssertError(reply, 400, "Connector name is 300 characters long; the limit is 249");
    }

    [Theory]
    [InlineData("...")]
    [InlineData(".hidden")]
    [InlineData("a%2Fb")]
    [InlineData("100%")]
    [InlineData("a b?c#d&e=f")]
    [InlineData("a;b+c")]
    [InlineData("ünïcødé-名前-😀")]
    [InlineData("249")]
    public async Task Every_other_name_round_trips_through_its_url(string name)
    {
        if (name == "249") name = Unique("n") + new string('x', 249 - 10);
        else name = name + "-" + Guid.NewGuid().ToString("N")[..6];
        AssertStatus(await CreateAsync(name), 201);
        var info = await Client.Get(ConnectorPath(name));
        AssertStatus(info, 200);
        Assert.Equal(name, (string?)info.Json!["name"]);
        AssertStatus(await Client.Put(ConnectorPath(name, "config"), JsonSerializer.Serialize(SinkConfig())), 200);
        AssertStatus(await Client.Delete(ConnectorPath(name)), 204);
        AssertError(await Client.Get(ConnectorPath(name)), 404);
    }

    [Fact]
    public async Task Delete_by_name_query_removes_a_connector_and_needs_the_name()
    {
        var name = Unique("by-query") + " ?&";
        AssertStatus(await CreateAsync(name), 201);
        AssertStatus(await Client.Delete("connectors?name=" + Uri.EscapeDataString(name)), 204);
        AssertError(await Client.Get(ConnectorPath(name)), 404);
        AssertError(await Client.Delete("connectors?name=" + Uri.EscapeDataString(name)), 404);
        // Without name, DELETE /connectors stays what Connect answers.
        AssertError(await Client.Delete("connectors"), 405, "HTTP 405 Method Not Allowed");
    }
}

/// <summary>Connectors stored under names no URL carries (given on the command line, as connectors created before
/// names were checked): DELETE /connectors?name= removes them.</summary>
[Collection(BrokerCollection.Name)]
public sealed class StoredUnaddressableNamesTests(TestBroker broker) : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "oc-names-" + Guid.NewGuid().ToString("N")[..8]);
    private SiloProcess? _silo;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_silo is not null) await _silo.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Connectors_named_dot_dot_or_with_a_slash_are_deleted_by_name_query()
    {
        Directory.CreateDirectory(_dir);
        string[] names = ["..", "a/b", new string('l', 300)];
        var files = names.Select((name, i) =>
        {
            var file = Path.Combine(_dir, $"connector-{i}.json");
            File.WriteAllText(file, new JsonObject
            {
                ["name"] = name,
                ["config"] = new JsonObject { ["connector.class"] = "FileStreamSink", ["topics"] = "t", ["file"] = Path.Combine(_dir, $"out-{i}.txt") },
            }.ToJsonString());
            return file;
        }).ToArray();
        _silo = new SiloProcess(_dir, broker.BootstrapServers, null, files);
        await _silo.StartAsync();

        var before = await _silo.Client.Get("connectors");
        foreach (var name in names) Assert.Contains(name, before.Array.Select(n => (string?)n));

        foreach (var name in names)
            AssertStatus(await _silo.Client.Delete("connectors?name=" + Uri.EscapeDataString(name)), 204);

        var after = await _silo.Client.Get("connectors");
        Assert.Empty(after.Array);
    }
}
