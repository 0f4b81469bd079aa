using OrleansConnect.Connect.Config;
using OrleansConnect.Grains.Config;

namespace OrleansConnect.Grains.Errors;

/// <summary>A connector's errors.* settings, with Connect's defaults. The dead letter queue keys are defined for
/// sink connectors only; a source connector may set them too (an extension: it is then an unknown key to
/// validation, which is allowed) and gets the same dead letter queue.</summary>
public sealed record ErrorHandlingConfig(
    long RetryTimeoutMs,
    long RetryMaxDelayMs,
    ToleranceType Tolerance,
    bool LogEnable,
    bool LogIncludeMessages,
    string DeadLetterQueueTopic,
    short DeadLetterQueueReplicationFactor,
    bool DeadLetterQueueContextHeaders)
{
    public const long RetryTimeoutDefault = 0;
    public const long RetryMaxDelayDefault = 60_000;
    public const short DeadLetterQueueReplicationFactorDefault = 3;

    /// <summary>Everything off: tolerance none, no retries, no log, no dead letter queue.</summary>
    public static ErrorHandlingConfig Default { get; } = new(RetryTimeoutDefault, RetryMaxDelayDefault, ToleranceType.None,
        false, false, "", DeadLetterQueueReplicationFactorDefault, false);

    public bool HasDeadLetterQueue => DeadLetterQueueTopic.Length > 0;

    /// <summary>Kafka gives a sink task an errant record reporter when a dead letter queue is set or errors are
    /// logged (SinkConnectorConfig.enableErrantRecordReporter), whatever the tolerance.</summary>
    public bool EnablesErrantRecordReporter => HasDeadLetterQueue || LogEnable;

    /// <summary>Reads the errors.* keys; throws ConfigException naming the key for a value of the wrong type.</summary>
    public static ErrorHandlingConfig From(IReadOnlyDictionary<string, string> config)
    {
        var tolerance = Text(config, ConnectorConfig.ErrorsTolerance)?.ToLowerInvariant() switch
        {
            null or "none" => ToleranceType.None,
            "all" => ToleranceType.All,
            _ => throw new ConfigException(ConnectorConfig.ErrorsTolerance, config[ConnectorConfig.ErrorsTolerance],
                "String must be one of (case insensitive): none, all"),
        };
        var timeout = Long(config, ConnectorConfig.ErrorsRetryTimeout, RetryTimeoutDefault);
        var maxDelay = Long(config, ConnectorConfig.ErrorsRetryMaxDelay, RetryMaxDelayDefault);
        var replication = Long(config, ConnectorConfig.DlqReplicationFactor, DeadLetterQueueReplicationFactorDefault);
        if (replication is < short.MinValue or > short.MaxValue)
            throw new ConfigException(ConnectorConfig.DlqReplicationFactor, config[ConnectorConfig.DlqReplicationFactor], "Not a number of type SHORT");
        return new ErrorHandlingConfig(
            timeout,
            maxDelay,
            tolerance,
            Bool(config, ConnectorConfig.ErrorsLogEnable),
            Bool(config, ConnectorConfig.ErrorsLogIncludeMessages),
            Text(config, ConnectorConfig.DlqTopicName) ?? "",
            (short)replication,
            Bool(config, ConnectorConfig.DlqContextHeaders));
    }

    // ConfigDef trims STRING, LONG and BOOLEAN values before parsing them.
    private static string? Text(IReadOnlyDictionary<string, string> config, string key) =>
        config.TryGetValue(key, out var value) && value is not null ? value.Trim() : null;

    private static long Long(IReadOnlyDictionary<string, string> config, string key, long defaultValue)
    {
        var text = Text(config, key);
        if (text is null) return defaultValue;
        return long.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ConfigException(key, config[key], "Not a number of type LONG");
    }

    private static bool Bool(IReadOnlyDictionary<string, string> config, string key)
    {
        var text = Text(config, key);
        if (text is null) return false;
        if (text.Equals("true", StringComparison.OrdinalIgnoreCase)) return true;
        if (text.Equals("false", StringComparison.OrdinalIgnoreCase)) return false;
        throw new ConfigException(key, config[key], "Expected value to be either true or false");
    }
}
