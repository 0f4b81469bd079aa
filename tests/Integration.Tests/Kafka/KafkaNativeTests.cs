using Confluent.Kafka;
using OrleansConnect.Grains.Kafka;

namespace OrleansConnect.Tests.Kafka;

/// <summary>The embedded broker's mock cluster and Confluent.Kafka's clients use one librdkafka: the bundled one, loaded
/// once. A second copy (Debian's, or another build from librdkafka.redist) would have its own globals, and clients of
/// one copy could not use a cluster made by the other.</summary>
public sealed class KafkaNativeTests
{
    [Fact]
    public async Task The_mock_cluster_and_the_clients_share_the_bundled_librdkafka()
    {
        using var broker = EmbeddedKafkaBroker.Start(1);
        broker.CreateTopic("native-check", 1);
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = broker.BootstrapServers }).Build())
        {
            var delivered = await producer.ProduceAsync("native-check", new Message<Null, string> { Value = "x" });
            Assert.Equal(0, delivered.Offset.Value);
        }

        var loaded = File.ReadLines("/proc/self/maps")
            .Select(line => line.IndexOf('/') is var slash and >= 0 ? line[slash..] : "")
            .Where(path => Path.GetFileName(path).Contains("librdkafka", StringComparison.Ordinal))
            .Distinct()
            .ToList();
        var single = Assert.Single(loaded);
        Assert.Contains(Path.Combine("runtimes", "linux-x64", "native"), single);
        Assert.StartsWith("2.16.", Library.VersionString);
    }
}
