using Confluent.Kafka;
using ErrorCode = Confluent.Kafka.ErrorCode;
using Confluent.Kafka.Admin;
using Microsoft.Extensions.Logging;

namespace OrleansConnect.Grains.Kafka;

/// <summary>Creates topics: on the embedded broker through its mock API (its admin API cannot create
/// topics), on a real Kafka through the admin client. Creating an existing topic is not an error.</summary>
public sealed class TopicAdmin(string bootstrapServers, EmbeddedKafkaBroker? embedded, IReadOnlyDictionary<string, string?> adminConfigs, ILogger logger)
{
    public async Task EnsureTopicAsync(string topic, int partitions, short replicationFactor, IReadOnlyDictionary<string, string>? topicConfigs, CancellationToken cancellationToken)
    {
        if (embedded is not null)
        {
            embedded.CreateTopic(topic, partitions, replicationFactor);
            return;
        }
        // A listing of all topics never auto-creates one (asking for a named topic may, on some brokers).
        if (await TopicExistsAsync(topic, cancellationToken)) return;
        var config = new AdminClientConfig(KafkaClients.Strip(adminConfigs)) { BootstrapServers = bootstrapServers };
        using var admin = new AdminClientBuilder(config).Build();
        var spec = new TopicSpecification
        {
            Name = topic,
            NumPartitions = partitions,
            ReplicationFactor = replicationFactor,
            Configs = topicConfigs?.ToDictionary(kv => kv.Key, kv => kv.Value),
        };
        try
        {
            await admin.CreateTopicsAsync([spec], new CreateTopicsOptions { RequestTimeout = TimeSpan.FromSeconds(30) }).WaitAsync(cancellationToken);
            logger.LogInformation("Created topic {Topic} with {Partitions} partitions, replication factor {ReplicationFactor}", topic, partitions, replicationFactor);
        }
        catch (CreateTopicsException e) when (e.Results.All(r => r.Error.Code is ErrorCode.NoError or ErrorCode.TopicAlreadyExists))
        {
            // Somebody created it first: fine.
        }
    }

    /// <summary>True when the topic exists (per cluster metadata).</summary>
    public Task<bool> TopicExistsAsync(string topic, CancellationToken cancellationToken) =>
        KafkaBlocking.Run(() =>
        {
            var config = new AdminClientConfig(KafkaClients.Strip(adminConfigs)) { BootstrapServers = bootstrapServers };
            using var admin = new AdminClientBuilder(config).Build();
            var metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));
            return metadata.Topics.Any(t => t.Topic == topic && t.Error.Code == ErrorCode.NoError && t.Partitions.Count > 0);
        }, cancellationToken);
}
