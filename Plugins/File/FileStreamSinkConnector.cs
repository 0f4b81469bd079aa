using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Plugins;
using OrleansConnect.Connect.Sink;

namespace OrleansConnect.Plugins.File;

/// <summary>Appends each record's value as a line to a file (or standard output); Kafka's FileStreamSink.
/// Generates tasks.max identical tasks.</summary>
[PluginName("org.apache.kafka.connect.file.FileStreamSinkConnector")]
public sealed class FileStreamSinkConnector : SinkConnector
{
    public const string FileConfig = "file";

    private static readonly ConfigDef Definition = new ConfigDef()
        .Define(FileConfig, ConfigType.String, null, null, Importance.High, "Destination filename. If not specified, the standard output will be used");

    private Dictionary<string, string> _props = [];

    public override string Version => AppInfo.KafkaVersion;
    public override ConfigDef Config => Definition;
    public override Type TaskClass => typeof(FileStreamSinkTask);

    public override Task StartAsync(IReadOnlyDictionary<string, string> props, CancellationToken ct)
    {
        _props = props.ToDictionary();
        return Task.CompletedTask;
    }

    public override IReadOnlyList<IReadOnlyDictionary<string, string>> TaskConfigs(int maxTasks) =>
        Enumerable.Range(0, maxTasks).Select(_ => (IReadOnlyDictionary<string, string>)_props.ToDictionary()).ToList();

    public override Task StopAsync(CancellationToken ct) => Task.CompletedTask;

    /// <summary>The framework manages this connector's offsets entirely.</summary>
    public override bool AlterOffsets(IReadOnlyDictionary<string, string> connectorConfig, IReadOnlyDictionary<TopicPartition, long?> offsets) => true;
}
