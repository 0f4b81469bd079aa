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
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private readonly Lock _gate = new();
    private Dictionary<SiloAddress, int> _counts = [];
    private Dictionary<SiloAddress, int> _placedSince = [];
    private DateTime _readAt = DateTime.MinValue;

    /// <summary>Task counts of the active silos, fresh within a second (refreshed from every silo when older).</summary>
    public async Task<IReadOnlyDictionary<SiloAddress, int>> GetAsync(bool forceRefresh = false)
    {
        if (forceRefresh || DateTime.UtcNow - _readAt > MaxAge) await RefreshAsync(forceRefresh);
        lock (_gate)
        {
            var result = new Dictionary<SiloAddress, int>();
            foreach (var silo in ActiveSilos())
                result[silo] = _counts.GetValueOrDefault(silo) + _placedSince.GetValueOrDefault(silo);
            return result;
        }
    }

    /// <summary>Counts a placement onto <paramref name="silo"/> until the next refresh shows it.</summary>
    public void Placed(SiloAddress silo)
    {
        lock (_gate) _placedSince[silo] = _placedSince.GetValueOrDefault(silo) + 1;
    }

    private IEnumerable<SiloAddress> ActiveSilos() =>
        membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress);

    private async Task RefreshAsync(bool force)
    {
        await _refresh.WaitAsync();
        try
        {
            if (!force && DateTime.UtcNow - _readAt <= MaxAge) return;
            var silos = ActiveSilos().ToArray();
            var stats = await grains.GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics(silos);
            var counts = silos.ToDictionary(s => s, _ => 0);
            foreach (var stat in stats.Where(s => s.GrainType == TaskGrainType))
                counts[stat.SiloAddress] = counts.GetValueOrDefault(stat.SiloAddress) + stat.ActivationCount;
            lock (_gate)
            {
                _counts = counts;
                _placedSince = [];
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
