namespace OrleansConnect.Runtime.Reminders;

/// <summary>A durable reminder: it ticks at <see cref="StartAt"/> + k * <see cref="Period"/>.
/// <see cref="LastTickAt"/> is the boundary of the last tick delivered (null: none yet), so a restarted silo
/// knows whether a tick fell due while nothing ran.</summary>
public sealed record ReminderEntry(GrainId GrainId, string ReminderName, DateTimeOffset StartAt, TimeSpan Period, DateTimeOffset? LastTickAt = null)
{
    /// <summary>Same reminder, same schedule (the last tick aside).</summary>
    public bool SameSchedule(ReminderEntry other) =>
        GrainId == other.GrainId && ReminderName == other.ReminderName && StartAt == other.StartAt && Period == other.Period;
}

/// <summary>The handle grains hold for a registered reminder.</summary>
internal sealed record GrainReminder(GrainId GrainId, string ReminderName) : IGrainReminder;
