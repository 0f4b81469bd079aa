using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Connector;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Connect.Plugins;
using OrleansConnect.Connect.Transforms;
using OrleansConnect.Plugins.Transforms.Util;

namespace OrleansConnect.Plugins.Transforms;

/// <summary>
/// Kafka's TimestampRouter: the topic becomes topic.format with ${topic} and then ${timestamp} (the record timestamp
/// in timestamp.format, UTC) replaced literally. A record without a timestamp is an error.
/// </summary>
[PluginName("org.apache.kafka.connect.transforms.TimestampRouter")]
public sealed class TimestampRouter<R> : ITransformation<R>, IVersioned where R : ConnectRecord
{
    public const string TopicFormatConfig = "topic.format";
    public const string TimestampFormatConfig = "timestamp.format";
    private const string TopicPlaceholder = "${topic}";
    private const string TimestampPlaceholder = "${timestamp}";

    public static readonly ConfigDef Definition = new ConfigDef()
        .Define(TopicFormatConfig, ConfigType.String, "${topic}-${timestamp}", null, Importance.High,
            "Topic name pattern; ${topic} stands for the original topic and ${timestamp} for the formatted record timestamp.")
        .Define(TimestampFormatConfig, ConfigType.String, "yyyyMMdd", null, Importance.High,
            "java.text.SimpleDateFormat pattern the record timestamp is formatted with (UTC).");

    private string _topicFormat = "${topic}-${timestamp}";
    private JavaDateFormat _timestampFormat = new("yyyyMMdd");

    public ConfigDef Config => Definition;

    public string Version => AppInfo.KafkaVersion;

    public void Configure(IReadOnlyDictionary<string, string?> configs)
    {
        var config = new SimpleConfig(Definition, configs);
        _topicFormat = config.GetString(TopicFormatConfig) ?? "";
        var pattern = config.GetString(TimestampFormatConfig) ?? "";
        try
        {
            _timestampFormat = new JavaDateFormat(pattern);
        }
        catch (ArgumentException e)
        {
            throw new ConfigException(TimestampFormatConfig, pattern, "Invalid SimpleDateFormat pattern: " + e.Message);
        }
    }

    public R? Apply(R record)
    {
        var timestamp = record.Timestamp ?? throw new DataException("Timestamp missing on record: " + record);
        var formatted = _timestampFormat.Format(timestamp);
        // Kafka's quoteReplacement throws (NullPointerException) on a record without a topic.
        var current = record.Topic ?? throw new DataException("TimestampRouter cannot route a record whose topic is null: " + record);
        // Two literal passes, in this order, as Kafka does.
        var topic = _topicFormat.Replace(TopicPlaceholder, current, StringComparison.Ordinal)
            .Replace(TimestampPlaceholder, formatted, StringComparison.Ordinal);
        return (R)record.NewRecord(topic, record.KafkaPartition, record.KeySchema, record.Key, record.ValueSchema,
            record.Value, record.Timestamp);
    }

    public void Close()
    {
    }
}
