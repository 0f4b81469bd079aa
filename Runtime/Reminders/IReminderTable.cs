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

    /// <summary>True if a row was removed.</summary>
    Task<bool> RemoveRowAsync(GrainId grainId, string reminderName, CancellationToken cancellationToken);
}
