using OrleansConnect.Tests.Infrastructure;

namespace OrleansConnect.Tests;

/// <summary>FAILED tasks come back by themselves (Kafka Connect leaves them FAILED until someone restarts them).</summary>
[Collection(BrokerCollection.Name)]
public sealed class SelfHealingTests(TestBroker broker)
{
    [Fact]
    public async Task A_sink_task_failed_on_a_missing_folder_runs_again_once_the_folder_exists()
    {
        var dir = Path.Combine(Path.GetTempPath(), "oc-heal-" + Guid.NewGuid().ToString("N")[..8]);
        var missing = Path.Combine(dir, "not-yet");
        var topic = "heal-" + Guid.NewGuid().ToString("N")[..8];
        broker.Broker.CreateTopic(topic, 1);
        try
        {
            await using var silo = new SiloProcess(dir, broker.BootstrapServers);
            await silo.StartAsync();
            await silo.Client.CreateConnectorAsync("healing-sink", new Dictionary<string, string>
            {
                ["connector.class"] = "FileStreamSink",
                ["file"] = Path.Combine(missing, "out.txt"),
                ["topics"] = topic,
            });

            var failed = await silo.Client.WaitForTaskStateAsync("healing-sink", 0, "FAILED", TimeSpan.FromSeconds(30));
            var trace = (string?)failed!["tasks"]![0]!["trace"];
            Assert.NotNull(trace);
            Assert.Contains("out.txt", trace);
            Assert.Contains("restarts FAILED tasks automatically", trace);
            Assert.Equal(silo.WorkerId, (string?)failed["tasks"]![0]!["worker_id"]);

            Directory.CreateDirectory(missing);
            var running = await silo.Client.WaitForTaskStateAsync("healing-sink", 0, "RUNNING", TimeSpan.FromSeconds(30));
            Assert.Null(running!["tasks"]![0]!["trace"]);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}
