using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Connector;
using OrleansConnect.Connect.Plugins;
using OrleansConnect.Connect.Transforms.Predicates;

namespace OrleansConnect.Plugins.Transforms.Predicates;

/// <summary>Kafka's RecordIsTombstone: true when the record value is null, whatever its schema or key.</summary>
[PluginName("org.apache.kafka.connect.transforms.predicates.RecordIsTombstone")]
public sealed class RecordIsTombstone<R> : IPredicate<R>, IVersioned where R : ConnectRecord
{
    public static readonly ConfigDef Definition = new();

    public ConfigDef Config => Definition;

    public string Version => AppInfo.KafkaVersion;

    public void Configure(IReadOnlyDictionary<string, string?> configs)
    {
        // No configuration.
    }

    public bool Test(R record) => record.Value is null;

    public void Close()
    {
    }

    public override string ToString() => "RecordIsTombstone{}";
}
