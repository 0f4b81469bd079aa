using System.Diagnostics;
using Confluent.Kafka;
using OrleansConnect.Grains.Kafka;

namespace OrleansConnect.Tests.Kafka;

/// <summary>The embedded broker's own calls, as a restore uses them.</summary>
public sealed class EmbeddedKafkaBrokerTests
{
    [Fact]
    public void Topics_created_together_on_a_broker_nobody_uses_yet_do_not_wait_for_the_mocks_timer()
    {
        // On a fresh mock cluster a creation sometimes waits for the cluster thread's next timer instead of its wake-up
        // (100 topics one by one: 3-16 s in about half of the starts). Five starts make a miss unlikely to hide it.
        for (var start = 0; start < 5; start++)
        {
            using var broker = EmbeddedKafkaBroker.Start(3);
            var topics = Enumerable.Range(0, 100).Select(i => ($"restored-{i:000}", i % 3 + 1, 1)).ToList();
            var clock = Stopwatch.StartNew();
            broker.CreateTopics(topics);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"start {start}: 100 topics took {clock.Elapsed.TotalMilliseconds:0} ms");

            using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.BootstrapServers }).Build();
            var partitions = admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics.ToDictionary(t => t.Topic, t => t.Partitions.Count);
            foreach (var (topic, count, _) in topics) Assert.Equal(count, partitions[topic]);
        }
    }
}
