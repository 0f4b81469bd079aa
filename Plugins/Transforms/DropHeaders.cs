using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Connector;
using OrleansConnect.Connect.Header;
using OrleansConnect.Connect.Plugins;
using OrleansConnect.Connect.Transforms;
using OrleansConnect.Plugins.Transforms.Util;

namespace OrleansConnect.Plugins.Transforms;

/// <summary>Kafka's DropHeaders: removes every header whose key is listed (exact match); the others keep their order.</summary>
[PluginName("org.apache.kafka.connect.transforms.DropHeaders")]
public sealed class DropHeaders<R> : ITransformation<R>, IVersioned where R : ConnectRecord
{
    public const string HeadersConfig = "headers";

    public static readonly ConfigDef Definition = new ConfigDef()
        .Define(HeadersConfig, ConfigType.List, ConfigDef.NoDefaultValue, NonEmptyListValidator.Instance, Importance.High,
            "Keys of the headers to remove.");

    private HashSet<string> _headers = [];

    public ConfigDef Config => Definition;

    public string Version => AppInfo.KafkaVersion;

    public void Configure(IReadOnlyDictionary<string, string?> configs)
    {
        var config = new SimpleConfig(Definition, configs);
        _headers = new HashSet<string>(config.GetList(HeadersConfig), StringComparer.Ordinal);
    }

    public R? Apply(R record)
    {
        var kept = new ConnectHeaders(record.Headers.Where(h => !_headers.Contains(h.Key)));
        return (R)record.NewRecord(record.Topic, record.KafkaPartition, record.KeySchema, record.Key, record.ValueSchema,
            record.Value, record.Timestamp, kept);
    }

    public void Close()
    {
    }
}
