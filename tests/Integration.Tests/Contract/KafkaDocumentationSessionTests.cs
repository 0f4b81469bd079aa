using OrleansConnect.Tests.Infrastructure;
using static OrleansConnect.Tests.Contract.ContractHttp;

namespace OrleansConnect.Tests.Contract;

/// <summary>The REST session of Kafka's Connect documentation (docs/connect.html: "REST API", "Offsets"), with its
/// bodies verbatim, against a silo.</summary>
[Collection(BrokerCollection.Name)]
public sealed class KafkaDocumentationSessionTests(TestBroker broker, KafkaDocumentationSessionTests.Silo silo)
    : IClassFixture<KafkaDocumentationSessionTests.Silo>, IAsyncLifetime
{
    public sealed class Silo : ContractSilo
    {
        // The sinks' group protocol on the embedded default (KIP-848); this silo uses the collection's broker, where
        // the classic protocol would be the default.
        protected override IReadOnlyDictionary<string, string> Settings { get; } =
            new Dictionary<string, string> { ["consumer.group.protocol"] = "consumer" };
    }

    private HttpClient Client => silo.Client;

    public Task InitializeAsync()
    {
        broker.Broker.CreateTopic("connect-test", 1);
        return silo.StartAsync(broker);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task The_documented_curl_session_works_verbatim()
    {
        AssertStatus(await Client.Put("connector-plugins/FileStreamSinkConnector/config/validate",
            """{"connector.class":"FileStreamSinkConnector", "tasks.max":"1", "file":"test.sink.txt", "topics":"connect-test"}"""), 200);
        var created = await Client.Post("connectors",
            """{"name": "local-file-sink", "config": {"connector.class":"FileStreamSinkConnector", "tasks.max":"1", "file":"test.sink.txt", "topics":"connect-test" }}""");
        AssertStatus(created, 201);
        AssertStatus(await Client.Put("connectors/local-file-sink/config",
            """{"connector.class":"FileStreamSinkConnector","tasks.max":"1","file":"test.sink.txt","topics":"connect-test"}"""), 200);
        await Client.WaitForStateAsync("local-file-sink", "RUNNING", 1);
        AssertStatus(await Client.Get("connectors/local-file-sink/status"), 200);
        AssertStatus(await Client.Get("connectors/local-file-sink/topics"), 200);
        AssertStatus(await Client.Put("connectors/local-file-sink/pause"), 202);
        AssertStatus(await Client.Put("connectors/local-file-sink/resume"), 202);
        AssertStatus(await Client.Post("connectors/local-file-sink/restart?includeTasks=true&onlyFailed=true"), 202);
        AssertStatus(await Client.Put("connectors/local-file-sink/stop"), 204);
        await Client.WaitForStateAsync("local-file-sink", "STOPPED", 0);
        AssertStatus(await Client.Get("connectors/local-file-sink/offsets"), 200);
        // Right after the stop: the stopped task's consumer left the group before the stop returned.
        AssertStatus(await Client.Patch("connectors/local-file-sink/offsets",
            """{"offsets": [{"partition": {"kafka_topic": "connect-test", "kafka_partition": 0}, "offset": {"kafka_offset": 0}}]}"""), 200);
        AssertStatus(await Client.Delete("connectors/local-file-sink/offsets"), 200);
        AssertStatus(await Client.Put("admin/loggers/org.apache.kafka.connect.runtime.WorkerSinkTask", """{"level": "DEBUG"}"""), 200);
        AssertStatus(await Client.Get("admin/loggers/org.apache.kafka.connect.runtime.WorkerSinkTask"), 200);
        AssertStatus(await Client.Delete("connectors/local-file-sink"), 204);
    }
}
