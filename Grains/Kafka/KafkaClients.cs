using Confluent.Kafka;

namespace OrleansConnect.Grains.Kafka;

/// <summary>Builds client configs the way Kafka Connect layers them: worker client settings, then connector
/// overrides, then what the framework insists on.</summary>
public static class KafkaClients
{
    /// <summary>Drops null values (Confluent's config rejects them).</summary>
    public static Dictionary<string, string> Strip(IReadOnlyDictionary<string, string?> configs) =>
        configs.Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key, kv => kv.Value!);

    public static Dictionary<string, string> Merge(params IReadOnlyDictionary<string, string?>[] layers)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var layer in layers)
            foreach (var (key, value) in layer)
                if (value is not null) result[key] = value;
                else result.Remove(key);
        return result;
    }

    public static IProducer<byte[]?, byte[]?> BuildProducer(IDictionary<string, string> config, Action<IProducer<byte[]?, byte[]?>, LogMessage>? log = null)
    {
        var builder = new ProducerBuilder<byte[]?, byte[]?>(config);
        if (log is not null) builder.SetLogHandler(log);
        return builder.Build();
    }

    public static IConsumer<byte[]?, byte[]?> BuildConsumer(IDictionary<string, string> config,
        Action<IConsumer<byte[]?, byte[]?>, List<TopicPartitionOffset>>? onRevoked = null,
        Action<IConsumer<byte[]?, byte[]?>, List<Confluent.Kafka.TopicPartition>>? onAssigned = null,
        Action<IConsumer<byte[]?, byte[]?>, LogMessage>? log = null,
        Action<IConsumer<byte[]?, byte[]?>, string>? statistics = null)
    {
        var builder = new ConsumerBuilder<byte[]?, byte[]?>(config);
        if (statistics is not null) builder.SetStatisticsHandler(statistics);
        if (onRevoked is not null) builder.SetPartitionsRevokedHandler(onRevoked);
        if (onAssigned is not null) builder.SetPartitionsAssignedHandler(onAssigned);
        if (log is not null) builder.SetLogHandler(log);
        return builder.Build();
    }
}
