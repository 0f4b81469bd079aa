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
        };
        return KafkaClients.Merge(
            defaults,
            worker.Config.ClientConfigs(ClientOverrides.Producer),
            ClientOverrides.Of(worker, connectorConfig, ClientOverrides.Producer),
            new Dictionary<string, string?>
            {
                ["bootstrap.servers"] = worker.BootstrapServers,
                ["enable.idempotence"] = "true",
                ["acks"] = "all",
            });
    }
}
