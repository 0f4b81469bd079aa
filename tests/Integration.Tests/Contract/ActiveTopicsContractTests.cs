using OrleansConnect.Tests.Infrastructure;
using static OrleansConnect.Tests.Contract.ContractHttp;

namespace OrleansConnect.Tests.Contract;

/// <summary>Contract §3 rows 19-20 and §4.7 (KIP-558): the {"&lt;name&gt;": {"topics": [...]}} wrapper, 200 with no topics
/// for unknown or deleted connectors, topics added as tasks use them, reset 202 and topics coming back with the next
/// record.</summary>
[Collection(BrokerCollection.Name)]
public sealed class ActiveTopicsContractTests(TestBroker broker, ActiveTopicsContractTests.Silo silo)
    : IClassFixture<ActiveTopicsContractTests.Silo>, IAsyncLifetime
{
    public sealed class Silo : ContractSilo;

    private HttpClient Client => silo.Client;

    public Task InitializeAsync() => silo.StartAsync(broker);

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<string[]> TopicsAsync(string name)
    {
        var reply = await Client.Get(ConnectorPath(name, "topics"));
        AssertStatus(reply, 200);
        Assert.Equal([name], reply.Object.Select(p => p.Key));
        Assert.Equal(["topics"], reply.Json![name]!.AsObject().Select(p => p.Key));
        return reply.Json![name]!["topics"]!.AsArray().Select(t => (string)t!).ToArray();
    }

    private Task WaitForTopicsAsync(string name, params string[] expected) =>
        Eventually.Until(() => TopicsAsync(name), t => t.SequenceEqual(expected), TimeSpan.FromSeconds(30),
            t => $"{name} topics [{string.Join(", ", expected)}]; last [{string.Join(", ", t ?? [])}]");

    [Fact]
    public async Task An_unknown_connector_has_no_topics_and_its_reset_is_accepted()
    {
        var name = Unique("never");
        Assert.Empty(await TopicsAsync(name));
        var reset = await Client.Put(ConnectorPath(name, "topics/reset"));
        AssertStatus(reset, 202);
        Assert.Equal("", reset.Text);
    }

    [Fact]
    public async Task Topics_are_tracked_reset_and_tracked_again_and_forgotten_on_delete()
    {
        var topic = Unique("tracked");
        broker.Broker.CreateTopic(topic, 1);
        var input = Path.Combine(silo.FilesDir, Unique("input") + ".txt");
        LineFiles.Write(input, ["first"]);
        var source = Unique("source");
        var sink = Unique("sink");
        Assert.Empty(await TopicsAsync(source));

        await Client.CreateAsync(source, new Dictionary<string, string>
        {
            ["connector.class"] = "FileStreamSource", ["file"] = input, ["topic"] = topic,
        });
        await Client.CreateAsync(sink, new Dictionary<string, string>
        {
            ["connector.class"] = "FileStreamSink", ["topics"] = topic, ["file"] = Path.Combine(silo.FilesDir, Unique("output") + ".txt"),
        });
        await WaitForTopicsAsync(source, topic);
        await WaitForTopicsAsync(sink, topic);

        var reset = await Client.Put(ConnectorPath(source, "topics/reset"));
        AssertStatus(reset, 202);
        await WaitForTopicsAsync(source);
        await WaitForTopicsAsync(sink, topic);

        // The next record brings the topic back.
        LineFiles.Write(input, ["second"], append: true);
        await WaitForTopicsAsync(source, topic);

        AssertStatus(await Client.Delete(ConnectorPath(source)), 204);
        await WaitForTopicsAsync(source);
    }
}

/// <summary>Worker settings the contract names: 403 when topic.tracking.enable=false (both topic endpoints) or
/// topic.tracking.allow.reset=false (reset) (§4.7), and no /admin/loggers with an empty admin.listeners (§1).</summary>
[Collection(BrokerCollection.Name)]
public sealed class WorkerSettingsContractTests(
    TestBroker broker, WorkerSettingsContractTests.TrackingOff off, WorkerSettingsContractTests.ResetOff resetOff)
    : IClassFixture<WorkerSettingsContractTests.TrackingOff>, IClassFixture<WorkerSettingsContractTests.ResetOff>, IAsyncLifetime
{
    public sealed class TrackingOff : ContractSilo
    {
        protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
        {
            ["topic.tracking.enable"] = "false", ["admin.listeners"] = "",
        };
    }

    public sealed class ResetOff : ContractSilo
    {
        protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string> { ["topic.tracking.allow.reset"] = "false" };
    }

    public Task InitializeAsync() => Task.WhenAll(off.StartAsync(broker), resetOff.StartAsync(broker));

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Disabled_tracking_is_403_for_both_endpoints()
    {
        var name = Unique("any");
        AssertError(await off.Client.Get(ConnectorPath(name, "topics")), 403, "Topic tracking is disabled.");
        AssertError(await off.Client.Put(ConnectorPath(name, "topics/reset")), 403, "Topic tracking is disabled.");
    }

    [Fact]
    public async Task Disabled_reset_is_403_while_reading_still_works()
    {
        var name = Unique("any");
        AssertStatus(await resetOff.Client.Get(ConnectorPath(name, "topics")), 200);
        AssertError(await resetOff.Client.Put(ConnectorPath(name, "topics/reset")), 403, "Topic tracking reset is disabled.");
    }

    [Fact]
    public async Task An_empty_admin_listeners_removes_the_admin_endpoints()
    {
        AssertError(await off.Client.Get("admin/loggers"), 404, "HTTP 404 Not Found");
        AssertError(await off.Client.Put("admin/loggers/root", """{"level":"INFO"}"""), 404, "HTTP 404 Not Found");
        AssertStatus(await resetOff.Client.Get("admin/loggers"), 200);
    }
}
