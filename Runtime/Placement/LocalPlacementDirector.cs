using OrleansConnect.Runtime.Membership;

namespace OrleansConnect.Runtime.Placement;

/// <summary>Orleans' "prefer local" placement: activate where the call originates.</summary>
internal sealed class LocalPlacementDirector : IPlacementDirector
{
    public Task<string> PlaceAsync(GrainId grainId, IClusterMembership membership, CancellationToken cancellationToken) =>
        Task.FromResult(membership.LocalSiloId);
}
