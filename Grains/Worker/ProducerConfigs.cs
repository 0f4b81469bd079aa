using OrleansConnect.Grains.Kafka;

namespace OrleansConnect.Grains.Worker;

/// <summary>The producer config of a connector's source tasks and of its dead letter queue, layered as Kafka
/// Connect layers it (Connect gives both the same producer settings): our defaults, the worker's producer.*
/// settings, the connector's producer.override.*, then what the framework insists on. No client.id: producers
/// are shared per config (<see cref="SharedProducers"/>), which names them itself.</summary>
public static class ProducerConfigs
{
    public static Dictionary<string, string> For(ConnectWorker worker, IReadOnlyDictionary<string, string> connectorConfig)
    {
        var defaults = new Dictionary<string, string?>
        {
            ["linger.ms"] = "5",
            // Source tasks and dead letter queues read only a delivery report's error, never the message: without this
            // Confluent copies every record's key, value, headers and timestamp back into managed memory on its poll
            // thread, which shares the cores with the task loops.
            ["dotnet.producer.delivery.report.fields"] = "none",
            // The embedded broker keeps only 5 MiB per partition: compressing keeps far more records within reach.
            ["compression.type"] = worker.EmbeddedBroker is null ? null : "lz4",
            // How long a record may wait for Kafka's acknowledgement before it fails, and with it the task (then the
            // automatic restart). Kafka's producer default; librdkafka's own is 300 s, and Connect sets Integer.MAX_VALUE
            // (a stuck broker never fails a task there). librdkafka applies it per record, so a shared producer holds it
            // for each task's records; it is part of the producer's identity, so tasks differing in it do not share one.
            [DeliveryTimeout] = "120000",
        };
        return KafkaClients.Merge(
            defaults,
            WithKafkaTimeoutName(worker.Config.ClientConfigs(ClientOverrides.Producer)),
            WithKafkaTimeoutName(ClientOverrides.Of(worker, connectorConfig, ClientOverrides.Producer)),
            new Dictionary<string, string?>
            {
                ["bootstrap.servers"] = worker.BootstrapServers,
                ["enable.idempotence"] = "true",
                ["acks"] = "all",
            });
    }

    public const string DeliveryTimeout = "delivery.timeout.ms";

    /// <summary>librdkafka takes delivery.timeout.ms (Kafka's name) and message.timeout.ms (its own) for one setting: a
    /// layer's message.timeout.ms is written under Kafka's name, so a later layer overrides an earlier one whichever name
    /// each used, and librdkafka never sees both.</summary>
    private static Dictionary<string, string?> WithKafkaTimeoutName(Dictionary<string, string?> layer)
    {
        if (layer.Remove("message.timeout.ms", out var value)) layer.TryAdd(DeliveryTimeout, value);
        return layer;
    }
}
