using OrleansConnect.Grains.Interfaces.Models;

namespace OrleansConnect.Grains.Connectors;

/// <summary>What a connector is, durably: its config, the state it should be in, and the task configs its
/// connector instance generated (empty when STOPPED). Generation grows with every new set of task configs.
/// Also the active topics and the sink offsets the offsets API wrote.</summary>
public sealed class ConnectorGrainState
{
    public Dictionary<string, string>? Config { get; set; }
    public TargetState TargetState { get; set; }
    public List<Dictionary<string, string>> TaskConfigs { get; set; } = [];
    public long Generation { get; set; }

    /// <summary>Topics the connector's tasks used since the last reset (topic.tracking.enable).</summary>
    public List<string> ActiveTopics { get; set; } = [];

    /// <summary>Sink connectors: the partitions whose committed offsets the offsets API wrote.</summary>
    public List<SinkOffsetPartition> SinkOffsetPartitions { get; set; } = [];
}
