using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Connector;
using OrleansConnect.Connect.Plugins;
using OrleansConnect.Connect.Transforms.Predicates;
using OrleansConnect.Plugins.Transforms.Util;

namespace OrleansConnect.Plugins.Transforms.Predicates;

/// <summary>Kafka's TopicNameMatches: true when the whole topic name matches the Java regular expression.</summary>
[PluginName("org.apache.kafka.connect.transforms.predicates.TopicNameMatches")]
public sealed class TopicNameMatches<R> : IPredicate<R>, IVersioned where R : ConnectRecord
{
    public const string PatternConfig = "pattern";

    public static readonly ConfigDef Definition = new ConfigDef()
        .Define(PatternConfig, ConfigType.String, ConfigDef.NoDefaultValue,
            CompositeValidator.Of(NonEmptyString.Instance, LambdaValidator.With((name, value) =>
                {
                    if (value is not string pattern) return;
                    try
                    {
                        JavaRegex.Compile(pattern);
                    }
                    catch (ArgumentException e)
                    {
                        throw new ConfigException(name, value, "entry must be a Java-compatible regular expression: " + e.Message);
                    }
                }, () => "Java regex")),
            Importance.Medium, "Java regular expression the whole topic name must match.");

    private JavaRegex? _pattern;

    public ConfigDef Config => Definition;

    public string Version => AppInfo.KafkaVersion;

    public void Configure(IReadOnlyDictionary<string, string?> configs)
    {
        var config = new SimpleConfig(Definition, configs);
        var pattern = config.GetString(PatternConfig) ?? throw new ConfigException(PatternConfig, null, "A pattern is required");
        _pattern = JavaRegex.Compile(pattern);
    }

    public bool Test(R record)
    {
        var pattern = _pattern ?? throw new InvalidOperationException("TopicNameMatches is not configured");
        return record.Topic is not null && pattern.Matches(record.Topic);
    }

    public void Close()
    {
    }

    public override string ToString() => $"TopicNameMatches{{pattern={_pattern?.Pattern}}}";
}
