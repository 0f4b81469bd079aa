using OrleansConnect.Runtime.Membership;

namespace OrleansConnect.Runtime.Placement;

/// <summary>Chooses the silo on which a grain with no activation is activated.</summary>
public interface IPlacementDirector
{
    /// <summary>Returns the id of one of <paramref name="membership"/>'s active silos.</summary>
    Task<string> PlaceAsync(GrainId grainId, IClusterMembership membership, CancellationToken cancellationToken);
}
