using OrleansConnect.Grains.Interfaces.Models;

namespace OrleansConnect.Grains.Connectors;

/// <summary>What a connector is, durably: its config, the state it should be in, and the task configs its
/// connector instance generated (empty when STOPPED). Generation grows with every new set of task configs.</summary>
public sealed class ConnectorGrainState
{
    public Dictionary<string, string>? Config { get; set; }
    public TargetState TargetState { get; set; }
    public List<Dictionary<string, string>> TaskConfigs { get; set; } = [];
    public long Generation { get; set; }
}
