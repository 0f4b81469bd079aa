using System.Text;
using Confluent.Kafka;
using OrleansConnect.Tests.Infrastructure;

namespace OrleansConnect.Tests.ErrorHandling;

/// <summary>errors.* on a sink connector: poison records (bytes JsonConverter cannot read) go to the dead letter
/// queue with Connect's context headers while the good ones reach the file; without tolerance the task fails.</summary>
public sealed class SinkErrorHandlingTests(SiloWithBroker fixture) : IClassFixture<SiloWithBroker>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static Message<byte[]?, byte[]?> Json(string text) => new() { Value = Encoding.UTF8.GetBytes("\"" + text + "\"") };

    private static Message<byte[]?, byte[]?> Poison(string text) => new()
    {
        Value = Encoding.UTF8.GetBytes(text),
        Headers = new Headers { { "origin", Encoding.UTF8.GetBytes("test-" + text) } },
    };

    private Dictionary<string, string> SinkConfig(string topic, string file) => new()
    {
        ["connector.class"] = "FileStreamSink",
        ["file"] = file,
        ["topics"] = topic,
        ["key.converter"] = "org.apache.kafka.connect.storage.StringConverter",
        ["value.converter"] = "org.apache.kafka.connect.json.JsonConverter",
        ["value.converter.schemas.enable"] = "false",
    };

    [Fact]
    public async Task A_tolerant_sink_sends_poison_records_to_the_dead_letter_queue_with_context_headers_and_commits_past_them()
    {
        var topic = SiloWithBroker.Unique("sink-in");
        var dlq = SiloWithBroker.Unique("sink-dlq");
        var name = SiloWithBroker.Unique("tolerant-sink");
        var file = Path.Combine(fixture.Dir, name + ".txt");
        fixture.Broker.Broker.CreateTopic(topic, 1);
        // The test broker cannot create topics through the admin API; a real cluster's DLQ would be created.
        fixture.Broker.Broker.CreateTopic(dlq, 1);
        Message<byte[]?, byte[]?>[] messages =
            [Json("one"), Poison("not json {"), Json("two"), Json("three"), Poison("{\"broken\":"), Json("four")];
        await KafkaTopics.ProduceAsync(fixture.Broker.BootstrapServers, topic, messages);

        var config = SinkConfig(topic, file);
        config["errors.tolerance"] = "all";
        config["errors.log.enable"] = "true";
        config["errors.log.include.messages"] = "true";
        config["errors.deadletterqueue.topic.name"] = dlq;
        config["errors.deadletterqueue.topic.replication.factor"] = "1";
        config["errors.deadletterqueue.context.headers.enable"] = "true";
        await fixture.Silo.Client.CreateConnectorAsync(name, config);

        await Eventually.Until(() => Task.FromResult(LineFiles.ReadCompleteLines(file)), lines => lines.Count >= 4, Timeout,
            lines => $"{lines?.Count} lines in the sink file\n{fixture.Silo.Log}");
        Assert.Equal(["one", "two", "three", "four"], LineFiles.ReadCompleteLines(file));

        var dead = await KafkaTopics.ReadUntilAsync(fixture.Broker.BootstrapServers, dlq, 1, read => read.Count >= 2, Timeout);
        Assert.Equal(2, dead.Count);
        Assert.Equal(["not json {", "{\"broken\":"], dead.Select(r => KafkaTopics.Text(r.Message.Value)));
        long[] poisonOffsets = [1, 4];
        for (var i = 0; i < dead.Count; i++)
        {
            var record = dead[i];
            // The original record's bytes and headers, then Connect's context headers.
            Assert.Null(record.Message.Key);
            Assert.Equal("test-" + KafkaTopics.Text(record.Message.Value), KafkaTopics.Header(record, "origin"));
            Assert.Equal(topic, KafkaTopics.Header(record, "__connect.errors.topic"));
            Assert.Equal("0", KafkaTopics.Header(record, "__connect.errors.partition"));
            Assert.Equal(poisonOffsets[i].ToString(), KafkaTopics.Header(record, "__connect.errors.offset"));
            Assert.Equal(name, KafkaTopics.Header(record, "__connect.errors.connector.name"));
            Assert.Equal("0", KafkaTopics.Header(record, "__connect.errors.task.id"));
            Assert.Equal("VALUE_CONVERTER", KafkaTopics.Header(record, "__connect.errors.stage"));
            Assert.Equal("org.apache.kafka.connect.json.JsonConverter", KafkaTopics.Header(record, "__connect.errors.class.name"));
            Assert.Equal("OrleansConnect.Connect.Errors.DataException", KafkaTopics.Header(record, "__connect.errors.exception.class.name"));
            Assert.False(string.IsNullOrEmpty(KafkaTopics.Header(record, "__connect.errors.exception.message")));
            var stackTrace = KafkaTopics.Header(record, "__connect.errors.exception.stacktrace");
            Assert.Contains("DataException", stackTrace);
            AssertNoBuildMachinePaths(stackTrace);
        }

        // Poison records count as processed: the group commits past the last one.
        await Eventually.Until(() => KafkaTopics.CommittedAsync(fixture.Broker.BootstrapServers, "connect-" + name, topic),
            offset => offset == messages.Length, Timeout, offset => $"committed offset {offset}, expected {messages.Length}");
        var status = await fixture.Silo.Client.StatusAsync(name);
        Assert.Equal("RUNNING", (string?)status!["tasks"]![0]!["state"]);
        // errors.log.enable: the failure is logged with the task and stage, and the record's coordinates.
        Assert.Contains($"Error encountered in task {name}-0. Executing stage 'VALUE_CONVERTER' with class 'org.apache.kafka.connect.json.JsonConverter', where consumed record is {{topic='{topic}', partition=0, offset=1", fixture.Silo.Log);
    }

    [Fact]
    public async Task A_sink_without_tolerance_fails_its_task_at_the_first_poison_record_with_the_trace()
    {
        var topic = SiloWithBroker.Unique("strict-in");
        var name = SiloWithBroker.Unique("strict-sink");
        var file = Path.Combine(fixture.Dir, name + ".txt");
        fixture.Broker.Broker.CreateTopic(topic, 1);
        await KafkaTopics.ProduceAsync(fixture.Broker.BootstrapServers, topic, [Json("good"), Poison("oops not json")]);

        await fixture.Silo.Client.CreateConnectorAsync(name, SinkConfig(topic, file));

        var failed = await fixture.Silo.Client.WaitForTaskStateAsync(name, 0, "FAILED", Timeout);
        var trace = (string?)failed!["tasks"]![0]!["trace"];
        Assert.NotNull(trace);
        Assert.Contains("Tolerance exceeded in error handler", trace);
        Assert.Contains("DataException", trace);
        AssertNoBuildMachinePaths(trace);
        // Nothing past the poison record was committed.
        Assert.True(await KafkaTopics.CommittedAsync(fixture.Broker.BootstrapServers, "connect-" + name, topic) <= 1);
    }

    /// <summary>Deterministic builds map the repository to /_/ (Directory.Build.props): a trace names sources by
    /// their path in the repository, never by the checkout path of the machine that built the silo.</summary>
    private static void AssertNoBuildMachinePaths(string? trace)
    {
        Assert.NotNull(trace);
        Assert.DoesNotContain(RepositoryPaths.Root.TrimEnd('/'), trace);
        Assert.Matches(@" in /_/[A-Za-z]+/[^ ]+\.cs:line \d+", trace);
    }
}
