namespace OrleansConnect.Runtime.Membership;

/// <summary>Which silos are alive. In a cluster this is backed by a membership table with heartbeats
/// (Orleans' silo status oracle); on one silo it is just this silo.</summary>
public interface IClusterMembership
{
    string LocalSiloId { get; }

    /// <summary>The silos currently considered active (placement targets), the local one included while it is.</summary>
    IReadOnlyList<string> ActiveSilos { get; }

    /// <summary>True if the silo is not dead: active, joining or still shutting down (it may host activations).</summary>
    bool IsLive(string siloId) => ActiveSilos.Contains(siloId);
}
