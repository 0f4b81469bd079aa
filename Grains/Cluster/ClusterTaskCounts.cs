using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;
using OrleansConnect.Grains.Tasks;

namespace OrleansConnect.Grains.Cluster;

/// <summary>How many TaskGrain activations each active silo holds, as Orleans' management grain reports them, cached
/// for a short while so that placing a burst of tasks asks the silos once. Placements made here since the last
/// refresh are added on top, so a burst spreads instead of piling onto the silo that looked emptiest.</summary>
public sealed class ClusterTaskCounts(IGrainFactory grains, IClusterMembershipService membership, ILogger<ClusterTaskCounts> logger)
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(1);
    // The grain type as Orleans' activation counters name it (the class with its assembly).
    private static readonly string TaskGrainType = Orleans.Serialization.TypeSystem.RuntimeTypeNameFormatter.Format(typeof(TaskGrain));
    // An activation shows in Orleans' counters a little after it was placed.
    private static readonly TimeSpan ActivationLag = TimeSpan.FromMilliseconds(500);
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private readonly Lock _gate = new();
    private Dictionary<SiloAddress, int> _counts = [];
    // Placements not yet seen in the counts.
    private List<(SiloAddress Silo, DateTime At)> _placedSince = [];
    private DateTime _readAt = DateTime.MinValue;

    /// <summary>Task counts of the active silos, fresh within a second (refreshed from every silo when older).</summary>
    public async Task<IReadOnlyDictionary<SiloAddress, int>> GetAsync(bool forceRefresh = false)
    {
        if (forceRefresh || DateTime.UtcNow - _readAt > MaxAge) await RefreshAsync(forceRefresh);
        lock (_gate)
        {
            return ActiveSilos().ToDictionary(silo => silo, CountOf);
        }
    }

    /// <summary>Chooses the silo with the fewest tasks among <paramref name="candidates"/> (ties: <paramref name="local"/>,
    /// then a stable order) and counts the placement at once, in one step, so that tasks placed together (a connector
    /// assigns all its tasks at the same time) spread instead of all seeing the same emptiest silo.</summary>
    public async Task<SiloAddress> PlaceAsync(IReadOnlyList<SiloAddress> candidates, SiloAddress local)
    {
        if (DateTime.UtcNow - _readAt > MaxAge) await RefreshAsync(force: false);
        lock (_gate)
        {
            var chosen = candidates
                .OrderBy(CountOf)
                .ThenBy(s => s.Equals(local) ? 0 : 1)
                .ThenBy(s => s.ToParsableString(), StringComparer.Ordinal)
                .First();
            _placedSince.Add((chosen, DateTime.UtcNow));
            return chosen;
        }
    }

    // Called holding the gate.
    private int CountOf(SiloAddress silo) => _counts.GetValueOrDefault(silo) + _placedSince.Count(p => p.Silo.Equals(silo));

    private IEnumerable<SiloAddress> ActiveSilos() =>
        membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress);

    private async Task RefreshAsync(bool force)
    {
        await _refresh.WaitAsync();
        try
        {
            if (!force && DateTime.UtcNow - _readAt <= MaxAge) return;
            var asked = DateTime.UtcNow;
            var silos = ActiveSilos().ToArray();
            var stats = await grains.GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics(silos);
            var counts = silos.ToDictionary(s => s, _ => 0);
            foreach (var stat in stats.Where(s => s.GrainType == TaskGrainType))
                counts[stat.SiloAddress] = counts.GetValueOrDefault(stat.SiloAddress) + stat.ActivationCount;
            lock (_gate)
            {
                _counts = counts;
                // Placements well before the question are in the answer; later ones may not be yet.
                _placedSince = _placedSince.Where(p => p.At >= asked - ActivationLag).ToList();
                _readAt = DateTime.UtcNow;
            }
        }
        catch (Exception e)
        {
            // A silo that just died may not answer; placement goes on with what is known.
            logger.LogDebug(e, "Could not read the task counts of the silos");
            lock (_gate) _readAt = DateTime.UtcNow;
        }
        finally
        {
            _refresh.Release();
        }
    }
}
