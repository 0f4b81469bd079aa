namespace OrleansConnect.Connect.Connector;

/// <summary>The keys of a connector's config that belong to the framework (Kafka Connect's ConnectorConfig,
/// SinkConnectorConfig and SourceConnectorConfig, and their prefixes), not to the connector. The runtime validates them;
/// a connector that refuses keys it does not define asks here so as not to call them unknown.
/// Integration.Tests' FrameworkKeysTests checks the list against the runtime's own definitions.</summary>
public static class FrameworkKeys
{
    private static readonly HashSet<string> Keys = new(StringComparer.Ordinal)
    {
        "name", "connector.class", "tasks.max", "tasks.max.enforce", "key.converter", "value.converter", "header.converter",
        "config.action.reload", "transforms", "predicates", "topics", "topics.regex", "exactly.once.support", "transaction.boundary",
        "transaction.boundary.interval.ms", "offsets.storage.topic", "plugin.version", "key.converter.plugin.version",
        "value.converter.plugin.version", "header.converter.plugin.version",
    };

    private static readonly string[] Prefixes =
    [
        "key.converter.", "value.converter.", "header.converter.", "transforms.", "predicates.", "errors.",
        "consumer.override.", "producer.override.", "admin.override.", "topic.creation.",
    ];

    public static bool Contains(string key) =>
        Keys.Contains(key) || Prefixes.Any(p => key.StartsWith(p, StringComparison.Ordinal));
}
