using OrleansConnect.Grains.Kafka;
using OrleansConnect.Grains.Worker;

namespace OrleansConnect.Silo.Hosting;

/// <summary>The Kafka cluster this silo works with: the configured one, or, with no <c>bootstrap.servers</c>, an embedded
/// Kafka-protocol broker started for a bare machine (its records come back from data.dir through
/// <see cref="EmbeddedBroker.EmbeddedBrokerHost"/>).</summary>
public sealed class KafkaCluster : IDisposable
{
    public KafkaCluster(WorkerConfig config, ILogger<KafkaCluster> logger)
    {
        if (config.UsesEmbeddedBroker)
        {
            Embedded = EmbeddedKafkaBroker.Start(config.GetInt(WorkerConfig.EmbeddedBrokerCount), config.GetInt(WorkerConfig.EmbeddedBrokerNumPartitions));
            BootstrapServers = Embedded.BootstrapServers;
            logger.LogInformation("Embedded Kafka broker listening on {BootstrapServers}", BootstrapServers);
        }
        else
        {
            BootstrapServers = string.Join(",", config.GetList(WorkerConfig.BootstrapServers));
        }
    }

    public string BootstrapServers { get; }

    public EmbeddedKafkaBroker? Embedded { get; }

    public void Dispose() => Embedded?.Dispose();
}
