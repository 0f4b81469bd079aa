using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Connector;
using OrleansConnect.Connect.Plugins;
using OrleansConnect.Connect.Transforms.Predicates;
using OrleansConnect.Plugins.Transforms.Util;

namespace OrleansConnect.Plugins.Transforms.Predicates;

/// <summary>Kafka's HasHeaderKey: true when the record has at least one header with exactly this key (its value may be null).</summary>
[PluginName("org.apache.kafka.connect.transforms.predicates.HasHeaderKey")]
public sealed class HasHeaderKey<R> : IPredicate<R>, IVersioned where R : ConnectRecord
{
    public const string NameConfig = "name";

    public static readonly ConfigDef Definition = new ConfigDef()
        .Define(NameConfig, ConfigType.String, ConfigDef.NoDefaultValue, NonEmptyString.Instance, Importance.Medium,
            "Header key to look for.");

    private string _name = "";

    public ConfigDef Config => Definition;

    public string Version => AppInfo.KafkaVersion;

    public void Configure(IReadOnlyDictionary<string, string?> configs)
    {
        var config = new SimpleConfig(Definition, configs);
        _name = config.GetString(NameConfig) ?? throw new ConfigException(NameConfig, null, "A header name is required");
    }

    public bool Test(R record) => record.Headers.Any(h => h.Key == _name);

    public void Close()
    {
    }

    public override string ToString() => $"HasHeaderKey{{name='{_name}'}}";
}
