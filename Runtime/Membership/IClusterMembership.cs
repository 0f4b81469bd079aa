namespace OrleansConnect.Runtime.Membership;

/// <summary>Which silos are alive. In a cluster this is backed by a membership table with heartbeats
/// (Orleans' silo status oracle); on one silo it is just this silo.</summary>
public interface IClusterMembership
{
    string LocalSiloId { get; }

    /// <summary>The silos currently considered active, the local one included.</summary>
    IReadOnlyList<string> ActiveSilos { get; }
}
