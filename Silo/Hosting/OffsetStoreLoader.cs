using OrleansConnect.Grains.Kafka;
using OrleansConnect.Grains.Storage;
using OrleansConnect.Grains.Worker;

namespace OrleansConnect.Silo.Hosting;

/// <summary>Before the grain runtime starts: creates Connect's offsets topic if it is missing and reads it to the end, so a
/// source task resumes from its last committed offset; learns the Kafka cluster id for GET /. After the grain runtime
/// stopped (every task committed): flushes and closes the offset store. The first part that talks to Kafka, so an
/// unreachable Kafka is reported here.</summary>
public sealed class OffsetStoreLoader(
    WorkerConfig config,
    KafkaCluster cluster,
    TopicAdmin topicAdmin,
    KafkaOffsetBackingStore offsetStore,
    WorkerInfo workerInfo) : IHostedService
{
    private int _stopped;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await topicAdmin.EnsureTopicAsync(config.GetString(WorkerConfig.OffsetStorageTopic)!, config.GetInt(WorkerConfig.OffsetStoragePartitions),
                config.GetShort(WorkerConfig.OffsetStorageReplicationFactor), new Dictionary<string, string> { ["cleanup.policy"] = "compact" }, cancellationToken);
            await offsetStore.ReadToEndAsync(cancellationToken);
        }
        catch (Exception e) when (e is Confluent.Kafka.KafkaException or TimeoutException)
        {
            throw new StartupException($"Cannot reach Kafka at {cluster.BootstrapServers}: {e.Message}; check bootstrap.servers (empty starts the embedded broker)", e);
        }
        workerInfo.SetKafkaClusterId(await KafkaClusterId.FetchAsync(cluster.BootstrapServers, TimeSpan.FromSeconds(10), cancellationToken,
            config.ClientConfigs("admin")) ?? "");
    }

    /// <summary>Runs once; also called directly when the grain runtime did not stop in time.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 0) await offsetStore.DisposeAsync();
    }
}
