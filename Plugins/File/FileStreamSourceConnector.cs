using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Connect.Plugins;
using OrleansConnect.Connect.Source;

namespace OrleansConnect.Plugins.File;

/// <summary>Reads lines from a file (or standard input) into one topic; Kafka's FileStreamSource: one task,
/// offsets {"filename": path} → {"position": byte offset after the last line emitted}.</summary>
[PluginName("org.apache.kafka.connect.file.FileStreamSourceConnector")]
public sealed class FileStreamSourceConnector : SourceConnector
{
    public const string TopicConfig = "topic";
    public const string FileConfig = "file";
    public const string BatchSizeConfig = "batch.size";
    public const int DefaultBatchSize = 2000;

    private static readonly ConfigDef Definition = new ConfigDef()
        .Define(FileConfig, ConfigType.String, null, null, Importance.High, "Source filename. If not specified, the standard input will be used")
        .Define(TopicConfig, ConfigType.String, ConfigDef.NoDefaultValue, new NonEmptyString(), Importance.High, "The topic to publish data to")
        .Define(BatchSizeConfig, ConfigType.Int, DefaultBatchSize, null, Importance.Low,
            "The maximum number of records the source task can read from the file each time it is polled");

    private Dictionary<string, string> _props = [];

    public override string Version => AppInfo.KafkaVersion;
    public override ConfigDef Config => Definition;
    public override Type TaskClass => typeof(FileStreamSourceTask);

    public override Task StartAsync(IReadOnlyDictionary<string, string> props, CancellationToken ct)
    {
        _ = new AbstractConfig(Definition, props.ToDictionary(kv => kv.Key, kv => (string?)kv.Value));
        _props = props.ToDictionary();
        return Task.CompletedTask;
    }

    /// <summary>Only one task reads a file, whatever tasks.max says.</summary>
    public override IReadOnlyList<IReadOnlyDictionary<string, string>> TaskConfigs(int maxTasks) => [_props.ToDictionary()];

    public override Task StopAsync(CancellationToken ct) => Task.CompletedTask;

    public override bool AlterOffsets(IReadOnlyDictionary<string, string> connectorConfig,
        IReadOnlyDictionary<IReadOnlyDictionary<string, object?>, IReadOnlyDictionary<string, object?>?> offsets)
    {
        foreach (var (partition, offset) in offsets)
        {
            if (offset is null) continue; // a tombstone resets the partition
            if (!offset.TryGetValue(FileStreamSourceTask.PositionField, out var position))
                throw new ConnectException("Offset objects should either be null or contain the key '" + FileStreamSourceTask.PositionField + "'");
            if (position is not (long or int or short or sbyte))
                throw new ConnectException("The value for the '" + FileStreamSourceTask.PositionField + "' key in the offset is expected to be a Long value");
            if (Convert.ToInt64(position) < 0)
                throw new ConnectException("The value for the '" + FileStreamSourceTask.PositionField + "' key in the offset should be a non-negative value");
            if (!partition.ContainsKey(FileStreamSourceTask.FilenameField))
                throw new ConnectException("Partition objects should contain the key '" + FileStreamSourceTask.FilenameField + "'");
        }
        return true;
    }
}
