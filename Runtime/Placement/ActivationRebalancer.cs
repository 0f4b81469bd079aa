using Microsoft.Extensions.Logging;
using OrleansConnect.Runtime.Activation;
using OrleansConnect.Runtime.Calls;
using OrleansConnect.Runtime.GrainDirectory;
using OrleansConnect.Runtime.GrainTypes;
using OrleansConnect.Runtime.Hosting;
using OrleansConnect.Runtime.Membership;
using OrleansConnect.Runtime.Timers;
using OrleansConnect.Runtime.Transport;

namespace OrleansConnect.Runtime.Placement;

/// <summary>Spreads [Rebalanceable] grains over a silo that joined. Rebalancing is armed when a silo process this silo
/// has not seen before becomes active (a new silo id, or a known id with a new start time: a restarted process), and
/// disarmed once every such grain type is spread within one per silo: a cluster that only creates and deletes
/// connectors never moves a running task. A silo that rejoins without restarting (it was declared dead while paused
/// or cut off) gets new and failed-over grains from placement but does not pull any back: it may well flap again.
/// While armed, every <see cref="GrainRuntimeOptions.RebalancePeriod"/> each silo counts, per such grain type, the live activations of every active silo in the grain directory. Only the
/// most loaded silo acts (highest count, ties to the lowest silo id), and only when it holds more than one activation
/// above the least loaded (fewest, ties to the lowest silo id): it moves ONE grain there (clean deactivation with
/// <see cref="DeactivationReasonCode.Migrating"/>, so the grain stops and commits; then an activation on the target,
/// which resumes from persistent state), waits until it is active there, and counts again next period. Every silo
/// applies the same rule to the same table. A grain in flight is never registered nowhere: the directory hands its
/// entry to the target as a reservation when the old activation ends, so it counts on the target, and a call made
/// meanwhile (from any silo) goes to the target instead of placing the grain somewhere else. Each move goes from a
/// silo at least two above the target, so the spread ends within one per silo. Grains that are not moved are not
/// touched; calls that reach the source during a move wait for it and follow the grain.</summary>
internal sealed partial class ActivationRebalancer(
    GrainRuntimeOptions options,
    ClusterMembership membership,
    AdoNetGrainDirectory directory,
    Catalog catalog,
    GrainTypeRegistry registry,
    GrainCallDispatcher dispatcher,
    SiloTransportClient client,
    SiloStatus status,
    TimeProvider time,
    RuntimeLogging logging)
{
    private readonly ILogger _logger = logging.CreateLogger<ActivationRebalancer>();
    private HashSet<string>? _seen;
    private bool _armed;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (options.RebalancePeriod == Timeout.InfiniteTimeSpan) return;
        List<GrainTypeInfo>? types = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await TimeUtil.DelayAsync(options.RebalancePeriod, time, cancellationToken).ConfigureAwait(false);
                types ??= registry.GrainInterfaces.Select(registry.GetByInterface).Where(t => t.IsRebalanceable).ToList();
                if (types.Count == 0) return;
                if (!ObserveJoins()) continue;
                var balanced = true;
                foreach (var type in types)
                {
                    var outcome = await TryMoveOneAsync(type, cancellationToken).ConfigureAwait(false);
                    if (outcome != Outcome.Even) balanced = false;
                    if (outcome == Outcome.Moved) break;
                }
                // A pass that moved something counts again next period before deciding it is done.
                if (balanced) _armed = false;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogRebalanceFailed(_logger, ex);
            }
        }
    }

    /// <summary>Arms rebalancing when an active silo process appears that this silo has not seen before; true while armed.</summary>
    private bool ObserveJoins()
    {
        if (membership.Generation == 0) return false;
        var active = membership.ActiveEntries.Select(e => $"{e.SiloId} started {e.StartedAt:O}");
        if (_seen is null)
        {
            // First look: the silos already active are not newcomers (this silo is, and as the least loaded it only
            // receives); one still joining is, and arms rebalancing when it becomes active.
            _seen = new HashSet<string>(active, StringComparer.Ordinal);
            return false;
        }
        foreach (var silo in active)
            if (_seen.Add(silo))
            {
                _armed = true;
                LogArmed(_logger, options.SiloId, silo);
            }
        return _armed;
    }

    internal enum Outcome
    {
        /// <summary>Spread within one (or this silo cannot judge now).</summary>
        Even,
        /// <summary>Uneven, and another silo is the one to move (or nothing here can move).</summary>
        Uneven,
        Moved,
    }

    /// <summary>Moves one activation of <paramref name="type"/> if this silo is the one that should.</summary>
    internal async Task<Outcome> TryMoveOneAsync(GrainTypeInfo type, CancellationToken cancellationToken)
    {
        if (status.Phase != SiloPhase.Running || !membership.HoldsLease) return Outcome.Uneven;
        var active = membership.ActiveEntries.Select(e => e.SiloId).Distinct(StringComparer.Ordinal).ToList();
        if (active.Count < 2 || !active.Contains(options.SiloId, StringComparer.Ordinal)) return Outcome.Even;

        var (perSilo, _) = await directory.CountAsync(type.GrainType, [], cancellationToken).ConfigureAwait(false);
        var loads = active.Select(s => (Silo: s, Count: perSilo.GetValueOrDefault(s))).ToList();
        var most = loads.OrderByDescending(l => l.Count).ThenBy(l => l.Silo, StringComparer.Ordinal).First();
        var least = loads.OrderBy(l => l.Count).ThenBy(l => l.Silo, StringComparer.Ordinal).First();
        if (most.Count - least.Count <= 1) return Outcome.Even;
        if (most.Silo != options.SiloId) return Outcome.Uneven;

        // Deterministic pick among the grains really active here (the directory may count one still deactivating).
        var candidate = catalog.Snapshot()
            .Where(a => a.GrainId.Type == type.GrainType && !a.Deactivated.IsCompleted)
            .OrderBy(a => a.GrainId.Key, StringComparer.Ordinal)
            .FirstOrDefault();
        if (candidate is null) return Outcome.Uneven;

        var grainId = candidate.GrainId;
        LogMoving(_logger, grainId.Type, grainId.Key, options.SiloId, least.Silo, most.Count, least.Count);
        // Calls arriving meanwhile (forwarded here by stale directory caches too) wait for the move, then follow it.
        var departure = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        dispatcher.BeginDeparture(grainId, departure.Task);
        Exception? targetFailure = null;
        try
        {
            await candidate.RequestDeactivation(new DeactivationReason(DeactivationReasonCode.Migrating,
                    $"Rebalancing: silo {options.SiloId} holds {most.Count} activations of {type.GrainType}, silo {least.Silo} {least.Count}.")
                    { TargetSilo = least.Silo })
                .WaitAsync(options.DeactivationTimeout + options.CallTimeout, time, cancellationToken).ConfigureAwait(false);
            try
            {
                // A forwarded activation: the target activates it locally unless someone already did elsewhere.
                await client.ActivateAsync(least.Silo, grainId, 1, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                targetFailure = ex;
            }
        }
        finally
        {
            dispatcher.EndDeparture(grainId, departure.Task);
            departure.TrySetResult();
        }
        if (targetFailure is not null)
        {
            // The target went away or refused: placement puts it on whichever silo suits now.
            LogTargetFailed(_logger, targetFailure, grainId.Type, grainId.Key, least.Silo);
            await directory.ReleaseHandOffAsync(grainId, cancellationToken).ConfigureAwait(false);
            await dispatcher.ActivateAsync(grainId, type).ConfigureAwait(false);
        }
        var address = await directory.LookupFreshAsync(grainId, cancellationToken).ConfigureAwait(false);
        LogMoved(_logger, grainId.Type, grainId.Key, address?.SiloId ?? "(none)");
        return Outcome.Moved;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo {SiloId} saw silo {Joined} join: rebalancing until the spread is within one")]
    private static partial void LogArmed(ILogger logger, string siloId, string joined);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rebalancing: moving grain {GrainType}/{GrainKey} from silo {From} ({FromCount} of its type) to silo {To} ({ToCount})")]
    private static partial void LogMoving(ILogger logger, string grainType, string grainKey, string from, string to, int fromCount, int toCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rebalancing: grain {GrainType}/{GrainKey} is active on silo {Silo}")]
    private static partial void LogMoved(ILogger logger, string grainType, string grainKey, string silo);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rebalancing: activating grain {GrainType}/{GrainKey} on silo {Silo} failed; placing it anew")]
    private static partial void LogTargetFailed(ILogger logger, Exception exception, string grainType, string grainKey, string silo);

    [LoggerMessage(Level = LogLevel.Error, Message = "Rebalancing pass failed; trying again next period")]
    private static partial void LogRebalanceFailed(ILogger logger, Exception exception);
}
