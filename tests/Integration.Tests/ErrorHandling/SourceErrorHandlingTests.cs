using System.Text.Json.Nodes;
using OrleansConnect.Tests.Infrastructure;

namespace OrleansConnect.Tests.ErrorHandling;

/// <summary>errors.* on a source connector (the dead letter queue is an extension for sources): lines a
/// transformation cannot handle go to the dead letter queue, the others to their topic, and the source offset
/// moves past the failed ones; without tolerance the task fails.</summary>
public sealed class SourceErrorHandlingTests(SiloWithBroker fixture) : IClassFixture<SiloWithBroker>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    // Cast$Value to int32 parses the line strictly: "x" and "1.5" are data errors.
    private Dictionary<string, string> SourceConfig(string file, string topic) => new()
    {
        ["connector.class"] = "FileStreamSource",
        ["file"] = file,
        ["topic"] = topic,
        ["value.converter"] = "org.apache.kafka.connect.json.JsonConverter",
        ["value.converter.schemas.enable"] = "false",
        ["transforms"] = "toInt",
        ["transforms.toInt.type"] = "org.apache.kafka.connect.transforms.Cast$Value",
        ["transforms.toInt.spec"] = "int32",
    };

    [Fact]
    public async Task A_tolerant_source_sends_records_a_transformation_rejects_to_the_dead_letter_queue_and_commits_past_them()
    {
        var topic = SiloWithBroker.Unique("numbers");
        var dlq = SiloWithBroker.Unique("numbers-dlq");
        var name = SiloWithBroker.Unique("tolerant-source");
        var file = Path.Combine(fixture.Dir, name + ".txt");
        fixture.Broker.Broker.CreateTopic(topic, 1);
        fixture.Broker.Broker.CreateTopic(dlq, 1);
        string[] lines = ["1", "x", "2", "1.5", "3"];
        LineFiles.Write(file, lines);

        var config = SourceConfig(file, topic);
        config["errors.tolerance"] = "all";
        config["errors.deadletterqueue.topic.name"] = dlq;
        config["errors.deadletterqueue.topic.replication.factor"] = "1";
        config["errors.deadletterqueue.context.headers.enable"] = "true";
        await fixture.Silo.Client.CreateConnectorAsync(name, config);

        var good = await KafkaTopics.ReadUntilAsync(fixture.Broker.BootstrapServers, topic, 1, read => read.Count >= 3, Timeout);
        Assert.Equal(["1", "2", "3"], good.Select(r => KafkaTopics.Text(r.Message.Value)));

        var dead = await KafkaTopics.ReadUntilAsync(fixture.Broker.BootstrapServers, dlq, 1, read => read.Count >= 2, Timeout);
        // Not converted (the transformation failed first): the record as JSON text.
        Assert.Equal(["\"x\"", "\"1.5\""], dead.Select(r => KafkaTopics.Text(r.Message.Value)));
        // Byte positions after each line: "1\n" = 2, "x\n" = 4, "2\n" = 6, "1.5\n" = 10.
        long[] positions = [4, 10];
        for (var i = 0; i < dead.Count; i++)
        {
            var record = dead[i];
            Assert.Equal(topic, KafkaTopics.Header(record, "__connect.errors.topic"));
            // No Kafka coordinates for a source record: its source partition and offset, as JSON.
            Assert.Equal(file, (string?)JsonNode.Parse(KafkaTopics.Header(record, "__connect.errors.partition")!)!["filename"]);
            Assert.Equal(positions[i], (long?)JsonNode.Parse(KafkaTopics.Header(record, "__connect.errors.offset")!)!["position"]);
            Assert.Equal(name, KafkaTopics.Header(record, "__connect.errors.connector.name"));
            Assert.Equal("0", KafkaTopics.Header(record, "__connect.errors.task.id"));
            Assert.Equal("TRANSFORMATION", KafkaTopics.Header(record, "__connect.errors.stage"));
            Assert.Equal("org.apache.kafka.connect.transforms.Cast$Value", KafkaTopics.Header(record, "__connect.errors.class.name"));
            Assert.Equal("OrleansConnect.Connect.Errors.DataException", KafkaTopics.Header(record, "__connect.errors.exception.class.name"));
            Assert.False(string.IsNullOrEmpty(KafkaTopics.Header(record, "__connect.errors.exception.stacktrace")));
        }

        // The failed lines count as processed: the committed source offset reaches the end of the file.
        var end = new FileInfo(file).Length;
        await Eventually.Until(() => CommittedPositionAsync(name), position => position == end, Timeout,
            position => $"committed position {position}, expected {end}");
        var status = await fixture.Silo.Client.StatusAsync(name);
        Assert.Equal("RUNNING", (string?)status!["tasks"]![0]!["state"]);
    }

    [Fact]
    public async Task A_source_without_tolerance_fails_its_task_on_a_record_a_transformation_rejects()
    {
        var topic = SiloWithBroker.Unique("strict-numbers");
        var name = SiloWithBroker.Unique("strict-source");
        var file = Path.Combine(fixture.Dir, name + ".txt");
        fixture.Broker.Broker.CreateTopic(topic, 1);
        LineFiles.Write(file, ["7", "seven"]);

        await fixture.Silo.Client.CreateConnectorAsync(name, SourceConfig(file, topic));

        var failed = await fixture.Silo.Client.WaitForTaskStateAsync(name, 0, "FAILED", Timeout);
        var trace = (string?)failed!["tasks"]![0]!["trace"];
        Assert.NotNull(trace);
        Assert.Contains("Tolerance exceeded in error handler", trace);
        Assert.Contains("DataException", trace);
    }

    /// <summary>The last position the connector committed for its file, read from the offsets topic.</summary>
    private async Task<long?> CommittedPositionAsync(string connector)
    {
        var all = await KafkaTopics.ReadToEndAsync(fixture.Broker.BootstrapServers, "connect-offsets", 25, Timeout);
        long? position = null;
        foreach (var record in all)
        {
            if (JsonNode.Parse(KafkaTopics.Text(record.Message.Key)!) is not JsonArray { Count: 2 } key || (string?)key[0] != connector) continue;
            position = record.Message.Value is null ? null : (long?)JsonNode.Parse(KafkaTopics.Text(record.Message.Value)!)!["position"];
        }
        return position;
    }
}
