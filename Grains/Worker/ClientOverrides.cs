namespace OrleansConnect.Grains.Worker;

/// <summary>A connector's producer.override.* / consumer.override.* / admin.override.* settings, as far as the
/// worker's connector.client.config.override.policy allows them (All by default, as Kafka 3.0+).</summary>
public static class ClientOverrides
{
    public static Dictionary<string, string?> Of(ConnectWorker worker, IReadOnlyDictionary<string, string> connectorConfig, string client)
    {
        var prefix = client + ".override.";
        var overrides = connectorConfig.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[prefix.Length..], kv => (string?)kv.Value);
        var policy = worker.Config.GetString(WorkerConfig.ClientConfigOverridePolicy) ?? "All";
        return policy.ToLowerInvariant() switch
        {
            "none" => [],
            "principal" => overrides.Where(kv => kv.Key is "security.protocol" or "sasl.jaas.config" or "sasl.mechanism")
                .ToDictionary(kv => kv.Key, kv => kv.Value),
            _ => overrides,
        };
    }
}
