using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Connector;
using OrleansConnect.Connect.Plugins;
using OrleansConnect.Connect.Transforms;

namespace OrleansConnect.Plugins.Transforms;

/// <summary>Kafka's Filter: drops every record it is applied to; meant to be used with a predicate.</summary>
[PluginName("org.apache.kafka.connect.transforms.Filter")]
public sealed class Filter<R> : ITransformation<R>, IVersioned where R : ConnectRecord
{
    public static readonly ConfigDef Definition = new();

    public ConfigDef Config => Definition;

    public string Version => AppInfo.KafkaVersion;

    public void Configure(IReadOnlyDictionary<string, string?> configs)
    {
        // No configuration.
    }

    public R? Apply(R record) => null;

    public void Close()
    {
    }
}
