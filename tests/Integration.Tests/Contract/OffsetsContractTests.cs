using System.Text;
using System.Text.Json.Nodes;
using Confluent.Kafka;
using OrleansConnect.Grains.Kafka;
using OrleansConnect.Tests.Infrastructure;
using static OrleansConnect.Tests.Contract.ContractHttp;

namespace OrleansConnect.Tests.Contract;

/// <summary>Contract §3 rows 21-23 and §5 (KIP-875): GET in any state, PATCH/DELETE only when STOPPED, the order of
/// checks, the source and sink formats with their messages, idempotent reset, and the end-to-end effect on what the
/// connectors read.</summary>
[Collection(BrokerCollection.Name)]
public sealed class OffsetsContractTests(TestBroker broker, OffsetsContractTests.Silo silo)
    : IClassFixture<OffsetsContractTests.Silo>, IAsyncLifetime
{
    public sealed class Silo : ContractSilo
    {
        // The sinks' group protocol on the embedded default (KIP-848); this silo uses the collection's broker, where
        // the classic protocol would be the default.
        protected override IReadOnlyDictionary<string, string> Settings { get; } =
            new Dictionary<string, string> { ["consumer.group.protocol"] = "consumer" };
    }

    private const string Altered = "The offsets for this connector have been altered successfully";
    private const string Reset = "The offsets for this connector have been reset successfully";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private HttpClient Client => silo.Client;

    public Task InitializeAsync() => silo.StartAsync(broker);

    public Task DisposeAsync() => Task.CompletedTask;

    private static string NotStopped(string name) =>
        "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified "
        + $"connector by issuing a 'PUT' request to the '/connectors/{name}/stop' endpoint";

    private string NewTopic()
    {
        var topic = Unique("offsets");
        broker.Broker.CreateTopic(topic, 1);
        return topic;
    }

    private async Task<string> StringSinkAsync(string topic, string file, string? initialState = null)
    {
        var name = Unique("sink");
        await Client.CreateAsync(name, new Dictionary<string, string>
        {
            ["connector.class"] = "FileStreamSink",
            ["topics"] = topic,
            ["file"] = file,
            ["key.converter"] = "org.apache.kafka.connect.storage.StringConverter",
            ["value.converter"] = "org.apache.kafka.connect.storage.StringConverter",
        }, initialState);
        return name;
    }

    private static Task WaitForLinesAsync(string file, int count) =>
        Eventually.Until(() => Task.FromResult(LineFiles.CountLines(file)), n => n >= count, Deadline, n => $"{n} of {count} lines in {file}");

    private Task<JsonNode> WaitForOffsetsAsync(string name, Func<JsonArray, bool> done, string what) =>
        Eventually.Until(async () => (await Client.Get(ConnectorPath(name, "offsets"))).Json!,
            o => o?["offsets"] is JsonArray list && done(list), Deadline, o => $"{name} offsets {what}; last {o?.ToJsonString()}");

    private static string SourceOffset(string file, object position) =>
        new JsonObject
        {
            ["offsets"] = new JsonArray(new JsonObject
            {
                ["partition"] = new JsonObject { ["filename"] = file },
                ["offset"] = new JsonObject { ["position"] = JsonValue.Create(position) },
            }),
        }.ToJsonString();

    private static string SinkOffset(string topic, string partition, string? offset) =>
        $$"""{"offsets":[{"partition":{"kafka_topic":"{{topic}}","kafka_partition":{{partition}}},"offset":{{(offset is null ? "null" : $$"""{"kafka_offset":{{offset}}}""")}}}]}""";

    [Fact]
    public async Task Source_offsets_are_altered_while_stopped_and_reset_rereads_the_file()
    {
        var topic = NewTopic();
        var input = Path.Combine(silo.FilesDir, Unique("input") + ".txt");
        var output = Path.Combine(silo.FilesDir, Unique("output") + ".txt");
        var lines = Enumerable.Range(1, 5).Select(i => $"line-{i}").ToArray(); // 7 bytes each with the newline
        LineFiles.Write(input, lines);

        var source = Unique("source");
        await Client.CreateAsync(source, new Dictionary<string, string>
        {
            ["connector.class"] = "FileStreamSource",
            ["file"] = input,
            ["topic"] = topic,
            ["value.converter"] = "org.apache.kafka.connect.storage.StringConverter",
        }, "STOPPED");
        var none = await Client.Get(ConnectorPath(source, "offsets"));
        AssertStatus(none, 200);
        Assert.Equal("""{"offsets":[]}""", none.Text);

        // Offsets of a connector created STOPPED can be altered before it ever ran: start after line 2.
        var altered = await Client.Patch(ConnectorPath(source, "offsets"), SourceOffset(input, 14));
        AssertStatus(altered, 200);
        Assert.Equal(Altered, (string?)altered.Json!["message"]);
        Assert.Single(altered.Object);
        var stored = await Client.Get(ConnectorPath(source, "offsets"));
        Assert.Equal(input, (string?)stored.Json!["offsets"]![0]!["partition"]!["filename"]);
        Assert.Equal(14, (long?)stored.Json!["offsets"]![0]!["offset"]!["position"]);

        await StringSinkAsync(topic, output);
        AssertStatus(await Client.Put(ConnectorPath(source, "resume")), 202);
        await WaitForLinesAsync(output, 3);
        Assert.Equal(lines[2..], LineFiles.ReadCompleteLines(output));

        // GET works while RUNNING; changes do not.
        await WaitForOffsetsAsync(source, o => o.Count == 1 && (long?)o[0]!["offset"]!["position"] == 35, "at position 35");
        AssertError(await Client.Patch(ConnectorPath(source, "offsets"), SourceOffset(input, 0)), 400, NotStopped(source));
        AssertError(await Client.Delete(ConnectorPath(source, "offsets")), 400, NotStopped(source));
        AssertStatus(await Client.Put(ConnectorPath(source, "pause")), 202);
        await Client.WaitForStateAsync(source, "PAUSED", 1);
        AssertError(await Client.Patch(ConnectorPath(source, "offsets"), SourceOffset(input, 0)), 400, NotStopped(source));
        AssertError(await Client.Delete(ConnectorPath(source, "offsets")), 400, NotStopped(source));

        AssertStatus(await Client.Put(ConnectorPath(source, "stop")), 204);
        await Client.WaitForStateAsync(source, "STOPPED", 0);
        var reset = await Client.Delete(ConnectorPath(source, "offsets"));
        AssertStatus(reset, 200);
        Assert.Equal(Reset, (string?)reset.Json!["message"]);
        var again = await Client.Delete(ConnectorPath(source, "offsets"));
        AssertStatus(again, 200);
        Assert.Equal(Reset, (string?)again.Json!["message"]);
        Assert.Equal("""{"offsets":[]}""", (await Client.Get(ConnectorPath(source, "offsets"))).Text);

        // Reset: the whole file again.
        AssertStatus(await Client.Put(ConnectorPath(source, "resume")), 202);
        await WaitForLinesAsync(output, 8);
        Assert.Equal(lines[2..].Concat(lines), LineFiles.ReadCompleteLines(output));
    }

    [Theory]
    [InlineData("""{"offsets":[{"partition":{"filename":"f"},"offset":{"pos":1}}]}""", "Offset objects should either be null or contain the key 'position'")]
    [InlineData("""{"offsets":[{"partition":{"filename":"f"},"offset":{"position":"10"}}]}""", "The value for the 'position' key in the offset is expected to be a Long value")]
    [InlineData("""{"offsets":[{"partition":{"filename":"f"},"offset":{"position":-1}}]}""", "The value for the 'position' key in the offset should be a non-negative value")]
    [InlineData("""{"offsets":[{"partition":{"file":"f"},"offset":{"position":1}}]}""", "Partition objects should contain the key 'filename'")]
    public async Task The_file_source_rejects_offsets_it_cannot_use_with_500(string body, string message)
    {
        var source = Unique("source");
        await Client.CreateAsync(source, new Dictionary<string, string>
        {
            ["connector.class"] = "FileStreamSource", ["file"] = "f", ["topic"] = "t",
        }, "STOPPED");

        // These are the connector's own errors (ConnectException), which Connect answers with 500.
        AssertError(await Client.Patch(ConnectorPath(source, "offsets"), body), 500, message);
        Assert.Equal("""{"offsets":[]}""", (await Client.Get(ConnectorPath(source, "offsets"))).Text);
    }

    [Fact]
    public async Task Offsets_requests_are_checked_in_Connects_order()
    {
        var nobody = Unique("nobody");
        const string missing = "Partitions / offsets need to be provided for an alter offsets request";
        // Empty offsets: 400 before the existence check.
        AssertError(await Client.Patch(ConnectorPath(nobody, "offsets"), """{"offsets":[]}"""), 400, missing);
        AssertError(await Client.Patch(ConnectorPath(nobody, "offsets"), """{"offsets":null}"""), 400, missing);
        AssertError(await Client.Patch(ConnectorPath(nobody, "offsets"), "{}"), 400, missing);
        AssertError(await Client.SendAsync(HttpMethod.Patch, ConnectorPath(nobody, "offsets"), ""), 400, missing);
        AssertError(await Client.Patch(ConnectorPath(nobody, "offsets"), SinkOffset("t", "0", "1")), 404, $"Connector {nobody} not found");
        AssertError(await Client.Get(ConnectorPath(nobody, "offsets")), 404, $"Connector {nobody} not found");
        AssertError(await Client.Delete(ConnectorPath(nobody, "offsets")), 404, $"Connector {nobody} not found");

        // Mis-shaped bodies (Kafka: 500, here 400 as a client's mistake).
        foreach (var body in new[] { "[]", """{"key":[]}""", """{"offsets":{}}""", """{"offsets":[123]}""", """{"offsets":[{"key":"val"}]}""" })
            AssertError(await Client.Patch(ConnectorPath(nobody, "offsets"), body), 400);
    }

    [Fact]
    public async Task Sink_offsets_are_the_consumer_groups_and_can_be_altered_removed_and_reset()
    {
        var topic = NewTopic();
        var output = Path.Combine(silo.FilesDir, Unique("sink-output") + ".txt");
        var records = Enumerable.Range(1, 6).Select(i => $"record-{i}").ToArray();
        await ProduceAsync(topic, records);

        var sink = await StringSinkAsync(topic, output);
        await WaitForLinesAsync(output, 6);
        var committed = await WaitForOffsetsAsync(sink, o => o.Count == 1 && (long?)o[0]!["offset"]!["kafka_offset"] == 6, "committed at 6");
        Assert.Equal(topic, (string?)committed["offsets"]![0]!["partition"]!["kafka_topic"]);
        Assert.Equal(0, (int?)committed["offsets"]![0]!["partition"]!["kafka_partition"]);
        AssertError(await Client.Patch(ConnectorPath(sink, "offsets"), SinkOffset(topic, "0", "4")), 400, NotStopped(sink));

        AssertStatus(await Client.Put(ConnectorPath(sink, "stop")), 204);
        await Client.WaitForStateAsync(sink, "STOPPED", 0);
        // Numbers may be numeric strings.
        var altered = await Client.Patch(ConnectorPath(sink, "offsets"), SinkOffset(topic, "\"0\"", "\"4\""));
        AssertStatus(altered, 200);
        Assert.Equal(Altered, (string?)altered.Json!["message"]);
        await WaitForOffsetsAsync(sink, o => o.Count == 1 && (long?)o[0]!["offset"]!["kafka_offset"] == 4, "altered to 4");

        AssertStatus(await Client.Put(ConnectorPath(sink, "resume")), 202);
        await WaitForLinesAsync(output, 8);
        Assert.Equal(records.Concat(records[4..]), LineFiles.ReadCompleteLines(output));

        // A null offset removes the partition's offset: the group starts over from the beginning.
        AssertStatus(await Client.Put(ConnectorPath(sink, "stop")), 204);
        await Client.WaitForStateAsync(sink, "STOPPED", 0);
        var removed = await Client.Patch(ConnectorPath(sink, "offsets"), SinkOffset(topic, "0", null));
        AssertStatus(removed, 200);
        Assert.Equal(Altered, (string?)removed.Json!["message"]);
        Assert.Equal("""{"offsets":[]}""", (await Client.Get(ConnectorPath(sink, "offsets"))).Text);
        AssertStatus(await Client.Put(ConnectorPath(sink, "resume")), 202);
        await WaitForLinesAsync(output, 14);
        await WaitForOffsetsAsync(sink, o => o.Count == 1 && (long?)o[0]!["offset"]!["kafka_offset"] == 6, "committed at 6 again");

        // Reset: every offset of the group goes; a second reset is the same success.
        AssertStatus(await Client.Put(ConnectorPath(sink, "stop")), 204);
        await Client.WaitForStateAsync(sink, "STOPPED", 0);
        var reset = await Client.Delete(ConnectorPath(sink, "offsets"));
        AssertStatus(reset, 200);
        Assert.Equal(Reset, (string?)reset.Json!["message"]);
        Assert.Equal(Reset, (string?)(await Client.Delete(ConnectorPath(sink, "offsets"))).Json!["message"]);
        Assert.Equal("""{"offsets":[]}""", (await Client.Get(ConnectorPath(sink, "offsets"))).Text);
    }

    [Theory]
    [InlineData("""{"offsets":[{"offset":{"kafka_offset":1}}]}""", "The partition for a sink connector offset cannot be null or missing")]
    [InlineData("""{"offsets":[{"partition":null,"offset":{"kafka_offset":1}}]}""", "The partition for a sink connector offset cannot be null or missing")]
    [InlineData("""{"offsets":[{"partition":{"kafka_topic":"t"},"offset":{"kafka_offset":1}}]}""", "The partition for a sink connector offset must contain the keys 'kafka_topic' and 'kafka_partition'")]
    [InlineData("""{"offsets":[{"partition":{"kafka_topic":"t","kafka_partition":"zero"},"offset":{"kafka_offset":1}}]}""", "Failed to parse the following Kafka partition value in the provided offsets: 'zero'. Partition values for sink connectors need to be integers.")]
    [InlineData("""{"offsets":[{"partition":{"kafka_topic":"t","kafka_partition":0},"offset":{"offset":1}}]}""", "The offset for a sink connector should either be null or contain the key 'kafka_offset'")]
    [InlineData("""{"offsets":[{"partition":{"kafka_topic":"t","kafka_partition":0},"offset":{"kafka_offset":"ten"}}]}""", "Failed to parse the following Kafka offset value in the provided offsets: 'ten'. Offset values for sink connectors need to be integers.")]
    public async Task Sink_offsets_in_the_wrong_format_are_400(string body, string message)
    {
        var sink = await StringSinkAsync(NewTopic(), Path.Combine(silo.FilesDir, Unique("unused") + ".txt"), "STOPPED");
        AssertError(await Client.Patch(ConnectorPath(sink, "offsets"), body), 400, message);
    }

    private async Task ProduceAsync(string topic, IEnumerable<string> values)
    {
        using var producer = new ProducerBuilder<byte[]?, byte[]?>(new ProducerConfig { BootstrapServers = broker.BootstrapServers }).Build();
        foreach (var value in values)
            await producer.ProduceAsync(topic, new Message<byte[]?, byte[]?> { Value = Encoding.UTF8.GetBytes(value) });
    }
}
