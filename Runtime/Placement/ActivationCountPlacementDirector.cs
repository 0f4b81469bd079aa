using OrleansConnect.Runtime.GrainDirectory;
using OrleansConnect.Runtime.Membership;

namespace OrleansConnect.Runtime.Placement;

/// <summary>Orleans' activation-count placement, made exact: the active silo with the fewest live activations of the
/// grain's type gets the new one (then the fewest activations overall, as last reported with heartbeats; ties at
/// random). Counts come from the grain directory table, plus this silo's placements that have not registered yet,
/// so a burst of placements (a connector creating its tasks) spreads evenly. Placements from one silo are serialized.</summary>
internal sealed class ActivationCountPlacementDirector(ClusterMembership cluster, AdoNetGrainDirectory directory, TimeProvider time)
    : IPlacementDirector
{
    // A placement not registered after this long has failed or was dropped; stop counting it.
    private static readonly TimeSpan PendingLifetime = TimeSpan.FromSeconds(30);
    private readonly SemaphoreSlim _serial = new(1, 1);
    private readonly Dictionary<GrainId, (string Silo, long At)> _pending = [];

    public async Task<string> PlaceAsync(GrainId grainId, IClusterMembership membership, CancellationToken cancellationToken)
    {
        var candidates = cluster.ActiveEntries;
        if (candidates.Count == 0)
            throw new SiloUnavailableException($"Cannot place grain {grainId}: no silo of the cluster is active.");
        if (candidates.Count == 1) return candidates[0].SiloId;

        await _serial.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var old in _pending.Where(p => time.GetElapsedTime(p.Value.At) > PendingLifetime).Select(p => p.Key).ToList())
                _pending.Remove(old);
            var pendingOfType = _pending.Where(p => p.Key.Type == grainId.Type).ToList();
            var (perSilo, registered) = await directory.CountAsync(grainId.Type, pendingOfType.Select(p => p.Key.Key).ToList(), cancellationToken)
                .ConfigureAwait(false);
            foreach (var (pendingId, (silo, _)) in pendingOfType)
            {
                if (registered.Contains(pendingId.Key)) _pending.Remove(pendingId);
                else perSilo[silo] = perSilo.GetValueOrDefault(silo) + 1;
            }

            string? best = null;
            (int SameType, int Total) bestLoad = (int.MaxValue, int.MaxValue);
            var ties = 0;
            foreach (var silo in candidates)
            {
                var load = (perSilo.GetValueOrDefault(silo.SiloId), silo.ActivationCount);
                var compare = load.CompareTo(bestLoad);
                if (compare < 0)
                {
                    (best, bestLoad, ties) = (silo.SiloId, load, 1);
                }
                else if (compare == 0 && Random.Shared.Next(++ties) == 0)
                {
                    best = silo.SiloId;
                }
            }
            _pending[grainId] = (best!, time.GetTimestamp());
            return best!;
        }
        finally
        {
            _serial.Release();
        }
    }
}
