namespace OrleansConnect.Runtime.Reminders;

/// <summary>Which reminders this silo fires. In a cluster each silo owns a range of a consistent hash ring of
/// grain ids, so each reminder ticks on exactly one silo; alone, a silo owns them all.</summary>
public interface IReminderOwnership
{
    bool IsOwnedLocally(GrainId grainId);
}

internal sealed class LocalReminderOwnership : IReminderOwnership
{
    public bool IsOwnedLocally(GrainId grainId) => true;
}
