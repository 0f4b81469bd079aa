namespace OrleansConnect.Runtime.Reminders;

/// <summary>Durable store of this service's reminders.</summary>
public interface IReminderTable
{
    Task<IReadOnlyList<ReminderEntry>> ReadAllAsync(CancellationToken cancellationToken);

    Task<ReminderEntry?> ReadRowAsync(GrainId grainId, string reminderName, CancellationToken cancellationToken);

    /// <summary>Inserts the reminder or replaces its schedule (forgetting its last tick).</summary>
    Task UpsertRowAsync(ReminderEntry entry, CancellationToken cancellationToken);

    /// <summary>Records the tick delivered for <paramref name="entry"/>'s schedule; no-op if the reminder was
    /// removed or re-registered meanwhile.</summary>
    Task RecordTickAsync(ReminderEntry entry, DateTimeOffset tick, CancellationToken cancellationToken);

    /// <summary>Claims the delivery of boundary <paramref name="tick"/> before firing it: records it as the last tick
    /// only if no later-or-equal tick is recorded for the same schedule, and says whether it did. In a cluster this
    /// keeps two silos with briefly different views of the ring from both firing one boundary.
    /// The default records unconditionally and claims every tick.</summary>
    async Task<bool> TryClaimTickAsync(ReminderEntry entry, DateTimeOffset tick, CancellationToken cancellationToken)
    {
        await RecordTickAsync(entry, tick, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>True if a row was removed.</summary>
    Task<bool> RemoveRowAsync(GrainId grainId, string reminderName, CancellationToken cancellationToken);
}
