namespace OrleansConnect.Runtime.Membership;

/// <summary>A silo's status in the membership table (Orleans' SiloStatus). Only Dead is final: a silo that comes
/// back does so as a new incarnation (a new row with a higher generation).</summary>
public enum SiloMembershipStatus
{
    /// <summary>Started, not yet serving: not a placement target.</summary>
    Joining,
    /// <summary>Serving calls and a placement target; owns part of the reminder ring.</summary>
    Active,
    /// <summary>Stopping gracefully: still hosts its activations until they are gone, but receives no new ones.</summary>
    ShuttingDown,
    /// <summary>Stopped, or declared dead by another silo. Its directory entries may be taken over.</summary>
    Dead,
}

/// <summary>One row of the membership table: one incarnation of a silo.</summary>
/// <param name="SiloId">The silo's identity (its advertised REST host:port).</param>
/// <param name="Generation">The incarnation; a restarted or rejoining silo gets a higher one.</param>
/// <param name="Address">host:port of its silo-to-silo endpoint.</param>
/// <param name="ActivationCount">Activations it reported with its last heartbeat (placement reads it).</param>
/// <param name="ActivationCountsByType">The same, per grain type.</param>
public sealed record MembershipEntry(
    string SiloId,
    long Generation,
    string Address,
    SiloMembershipStatus Status,
    DateTimeOffset StartedAt,
    DateTimeOffset IAmAliveAt,
    int ActivationCount,
    IReadOnlyDictionary<string, int>? ActivationCountsByType = null)
{
    public bool IsLive => Status != SiloMembershipStatus.Dead;
}
