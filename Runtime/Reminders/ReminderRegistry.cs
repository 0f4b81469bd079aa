namespace OrleansConnect.Runtime.Reminders;

/// <summary>What grains' reminder calls do: validate, write the table, tell the reminder service.</summary>
internal sealed class ReminderRegistry(IReminderTable table, LocalReminderService service, GrainRuntimeOptions options, TimeProvider time)
{
    public async Task<IGrainReminder> RegisterAsync(GrainId grainId, string reminderName, TimeSpan dueTime, TimeSpan period)
    {
        if (string.IsNullOrWhiteSpace(reminderName))
            throw new ArgumentException("A reminder needs a name.", nameof(reminderName));
        if (dueTime < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(dueTime), dueTime, $"Reminder '{reminderName}': the due time must be zero or positive.");
        if (period < options.MinimumReminderPeriod || period == Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(period), period,
                $"Reminder '{reminderName}': the period must be at least {options.MinimumReminderPeriod} (GrainRuntimeOptions.MinimumReminderPeriod).");

        // Millisecond precision: what every table stores, so a re-read entry equals the registered one.
        var start = time.GetUtcNow() + dueTime;
        start = new DateTimeOffset(start.UtcTicks - start.UtcTicks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);
        var entry = new ReminderEntry(grainId, reminderName, start, TimeSpan.FromMilliseconds(Math.Floor(period.TotalMilliseconds)));
        await table.UpsertRowAsync(entry, CancellationToken.None).ConfigureAwait(false);
        service.OnRegistered(entry);
        return new GrainReminder(grainId, reminderName);
    }

    public async Task UnregisterAsync(GrainId grainId, string reminderName)
    {
        await table.RemoveRowAsync(grainId, reminderName, CancellationToken.None).ConfigureAwait(false);
        service.OnUnregistered(grainId, reminderName);
    }

    public async Task<IGrainReminder?> GetAsync(GrainId grainId, string reminderName)
    {
        var entry = await table.ReadRowAsync(grainId, reminderName, CancellationToken.None).ConfigureAwait(false);
        return entry is null ? null : new GrainReminder(grainId, reminderName);
    }
}
