using Orleans;
using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace OrleansConnect.Grains.Cluster;

/// <summary>Places TaskGrains on the active silo with the fewest of them. Orleans' ActivationCountBasedPlacement counts
/// every grain type together and samples two silos, so tasks would not spread evenly.</summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking, Alias("oc.TaskPlacementStrategy")]
public sealed class TaskPlacementStrategy : PlacementStrategy;

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class TaskPlacementAttribute() : PlacementAttribute(new TaskPlacementStrategy());

public sealed class TaskPlacementDirector(ClusterTaskCounts counts) : IPlacementDirector
{
    public async Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var compatible = context.GetCompatibleSilos(target);
        if (compatible.Length == 0) throw new SiloUnavailableException($"No silo can run {target.GrainIdentity}.");
        // The join rebalancer names the silo a task moves to.
        if (IPlacementDirector.GetPlacementHint(target.RequestContextData, compatible) is { } hint) return hint;
        if (compatible.Length == 1) return compatible[0];
        return await counts.PlaceAsync(compatible, context.LocalSilo);
    }
}
