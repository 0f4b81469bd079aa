using Orleans.Runtime;
using Orleans.Storage;

namespace OrleansConnect.Grains.Tasks;

/// <summary>Fencing of zombie task loops. Orleans keeps one activation per grain, but a silo paused or cut off past the
/// death timeout still runs its loops until it learns it was declared dead, while a replacement already runs the task
/// elsewhere. Every activation that starts a task's loop writes a fresh lease into the task's stored state (an etag
/// conflict there means another activation wrote first); the loop checks, before each commit, that the stored lease is
/// still its own, reading the state straight from grain storage, so a replaced loop never commits again.</summary>
public sealed class TaskLease(IGrainStorage storage, GrainId grainId, string lease)
{
    public string Value { get; } = lease;

    public static string NewValue() => Guid.NewGuid().ToString("N");

    /// <summary>True while no newer activation has taken the task over.</summary>
    public async Task<bool> IsCurrentAsync(CancellationToken cancellationToken)
    {
        var stored = new GrainState<TaskGrainState>(new TaskGrainState());
        await storage.ReadStateAsync(TaskGrain.StateName, grainId, stored).WaitAsync(cancellationToken);
        return stored.RecordExists && stored.State?.Lease == Value;
    }
}
