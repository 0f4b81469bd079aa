using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Connector;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Connect.Plugins;
using OrleansConnect.Connect.Transforms;
using OrleansConnect.Plugins.Transforms.Util;

namespace OrleansConnect.Plugins.Transforms;

/// <summary>
/// Kafka's RegexRouter: when the whole topic matches the Java regex, the topic becomes the first match replaced by
/// the Java replacement string ($1, ${name}, \$ for a literal dollar); otherwise the record is unchanged.
/// </summary>
[PluginName("org.apache.kafka.connect.transforms.RegexRouter")]
public sealed class RegexRouter<R> : ITransformation<R>, IVersioned where R : ConnectRecord
{
    public const string RegexConfig = "regex";
    public const string ReplacementConfig = "replacement";

    public static readonly ConfigDef Definition = new ConfigDef()
        .Define(RegexConfig, ConfigType.String, ConfigDef.NoDefaultValue, RegexValidator.Instance, Importance.High,
            "Java regular expression the whole topic name must match.")
        .Define(ReplacementConfig, ConfigType.String, ConfigDef.NoDefaultValue, null, Importance.High,
            "Replacement for the match, in Java's syntax: $n or ${name} insert a group, \\ escapes the next character.");

    private JavaRegex? _regex;
    private string _replacement = "";

    public ConfigDef Config => Definition;

    public string Version => AppInfo.KafkaVersion;

    public void Configure(IReadOnlyDictionary<string, string?> configs)
    {
        var config = new SimpleConfig(Definition, configs);
        _regex = JavaRegex.Compile(config.GetString(RegexConfig)
            ?? throw new ConfigException(RegexConfig, null, "A regex is required"));
        _replacement = config.GetString(ReplacementConfig)
            ?? throw new ConfigException(ReplacementConfig, null, "A replacement is required");
    }

    public R? Apply(R record)
    {
        var regex = _regex ?? throw new InvalidOperationException("RegexRouter is not configured");
        // Kafka's matcher throws (NullPointerException) on a record without a topic: the record fails, it is not passed on.
        var current = record.Topic ?? throw new DataException("RegexRouter cannot route a record whose topic is null: " + record);
        if (!regex.Matches(current)) return record;
        string topic;
        try
        {
            topic = regex.ReplaceFirst(current, _replacement);
        }
        catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException)
        {
            throw new DataException($"Invalid replacement '{_replacement}' for regex '{regex.Pattern}': {e.Message}", e);
        }
        return (R)record.NewRecord(topic, record.KafkaPartition, record.KeySchema, record.Key, record.ValueSchema,
            record.Value, record.Timestamp);
    }

    public void Close()
    {
    }
}
