using OrleansConnect.Tests.Infrastructure;
using static OrleansConnect.Tests.Contract.ContractHttp;

namespace OrleansConnect.Tests.Contract;

/// <summary>Contract §3 rows 19-20 and §4.7 (KIP-558): the {"&lt;name&gt;": {"topics": [...]}} wrapper, 200 with no topics
/// for unknown or deleted connectors, topics added as tasks use them and kept across restarts, reset 202 and topics
/// coming back with the next record.</summary>
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

        // The set is durable: a restarted silo knows it before any new record flows.
        await silo.Process.StopAsync();
        await silo.Process.StartAsync();
        Assert.Equal([topic], await TopicsAsync(sink));

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
