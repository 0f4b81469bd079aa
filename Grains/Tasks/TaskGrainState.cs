using Orleans;
using OrleansConnect.Grains.Interfaces;

namespace OrleansConnect.Grains.Tasks;

/// <summary>A task's assignment, durable so that an activation anywhere (after a crash or a move) knows what to run.
/// Serializable by Orleans too: a task that moves to a joining silo carries its state along (grain migration).</summary>
[GenerateSerializer, Alias("oc.TaskGrainState")]
public sealed class TaskGrainState
{
    [Id(0)]
    public TaskAssignment? Assignment { get; set; }
}
