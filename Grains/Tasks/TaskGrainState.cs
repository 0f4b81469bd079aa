using OrleansConnect.Grains.Interfaces;

namespace OrleansConnect.Grains.Tasks;

/// <summary>A task's assignment, durable so that an activation anywhere (after a crash or a move) knows what to run,
/// and the lease of the activation that runs it (<see cref="TaskLease"/>).</summary>
public sealed class TaskGrainState
{
    public TaskAssignment? Assignment { get; set; }

    /// <summary>Taken anew by every activation that starts the task's loop; a loop may commit only while it is its own.</summary>
    public string? Lease { get; set; }
}
