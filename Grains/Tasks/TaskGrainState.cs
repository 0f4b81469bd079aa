using OrleansConnect.Grains.Interfaces;

namespace OrleansConnect.Grains.Tasks;

/// <summary>A task's assignment, durable so that an activation anywhere (after a crash or a move) knows what to run.</summary>
public sealed class TaskGrainState
{
    public TaskAssignment? Assignment { get; set; }
}
