using Microsoft.Extensions.Logging;
using OrleansConnect.Runtime.Activation;
using OrleansConnect.Runtime.Calls;
using OrleansConnect.Runtime.GrainDirectory;
using OrleansConnect.Runtime.GrainTypes;
using OrleansConnect.Runtime.Hosting;
using OrleansConnect.Runtime.Membership;
using OrleansConnect.Runtime.Placement;
using OrleansConnect.Runtime.Reminders;
using OrleansConnect.Runtime.Timers;
using OrleansConnect.Runtime.Transport;

namespace OrleansConnect.Runtime.Cluster;

/// <summary>The silo's part in the cluster, driven by <see cref="Silo"/>: starts the silo-to-silo endpoint, joins
/// the membership table, wires membership changes to the reminder ring and (with
/// <see cref="GrainRuntimeOptions.EagerReactivation"/>) re-activates elsewhere the grains a dead silo hosted.
/// When this silo is declared dead it stops every activation at once and rejoins as a new incarnation; when it
/// stops gracefully it leaves as ShuttingDown, hands its grains over, then marks itself Dead.</summary>
internal sealed partial class ClusterAgent(
    GrainRuntimeOptions options,
    ClusterMembership membership,
    SiloTransportServer server,
    SiloTransportClient client,
    AdoNetGrainDirectory directory,
    IReminderOwnership ownership,
    Catalog catalog,
    GrainTypeRegistry registry,
    GrainCallDispatcher dispatcher,
    LocalReminderService reminders,
    ActivationRebalancer rebalancer,
    TimeProvider time,
    RuntimeLogging logging)
{
    private const int ReactivationParallelism = 16;
    private readonly ILogger _logger = logging.CreateLogger<ClusterAgent>();
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _scanRequested = new(0, 1);
    private readonly SemaphoreSlim _deathHandling = new(1, 1);
    private Task _scanner = Task.CompletedTask;
    private Task _rebalancing = Task.CompletedTask;

    /// <summary>Starts the endpoint and joins the table as Joining (not yet a placement target).</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await server.StartAsync(cancellationToken).ConfigureAwait(false);
        var host = options.AdvertisedSiloHost;
        membership.LocalAddress = $"{(host.Contains(':') ? $"[{host}]" : host)}:{server.Port}";
        membership.ActivationCounts = catalog.ActivationCountsByType;
        membership.DeclaredDead = OnDeclaredDeadAsync;
        membership.Changed += OnMembershipChanged;
        reminders.ClaimTicks = true;
        reminders.NotifyOwner = NotifyReminderOwnerAsync;
        try
        {
            await membership.JoinAsync(activate: false, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await server.StopAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Once the silo serves calls: becomes Active, starts probing and (if asked) the re-activation scans.</summary>
    public async Task ActivateAsync(CancellationToken cancellationToken)
    {
        await membership.SetStatusAsync(SiloMembershipStatus.Active, cancellationToken).ConfigureAwait(false);
        membership.StartProbing();
        var stopping = _stopping.Token;
        using (ExecutionContext.SuppressFlow())
            _rebalancing = Task.Run(() => rebalancer.RunAsync(stopping));
        if (!options.EagerReactivation) return;
        using (ExecutionContext.SuppressFlow())
            _scanner = Task.Run(ScanLoopAsync);
        RequestScan();
    }

    /// <summary>Graceful stop, first half: ShuttingDown (no new activations here) and the grains to hand over.</summary>
    public async Task<IReadOnlyList<(GrainId, GrainTypeInfo)>> BeginStopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await membership.SetStatusAsync(SiloMembershipStatus.ShuttingDown, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogStatusFailed(_logger, ex, options.SiloId, SiloMembershipStatus.ShuttingDown);
        }
        return options.EagerReactivation
            ? catalog.Snapshot().Where(a => IsDurable(a.Type)).Select(a => (a.GrainId, a.Type)).ToList()
            : [];
    }

    /// <summary>Graceful stop, second half (activations are gone): hand grains over, leave as Dead, close the endpoint.</summary>
    public async Task CompleteStopAsync(IReadOnlyList<(GrainId Id, GrainTypeInfo Type)> handOver, CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (handOver.Count > 0 && membership.ActiveSilos.Any(s => s != options.SiloId))
        {
            try
            {
                await ActivateAllAsync(handOver, cancellationToken).WaitAsync(options.ShutdownTimeout, time, cancellationToken).ConfigureAwait(false);
                LogHandedOver(_logger, options.SiloId, handOver.Count);
            }
            catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
            {
                LogHandOverIncomplete(_logger, options.SiloId, options.ShutdownTimeout);
            }
        }
        await membership.StopProbingAsync().ConfigureAwait(false);
        try
        {
            await membership.SetStatusAsync(SiloMembershipStatus.Dead, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogStatusFailed(_logger, ex, options.SiloId, SiloMembershipStatus.Dead);
        }
        await server.StopAsync().ConfigureAwait(false);
        await _scanner.ConfigureAwait(false);
        await _rebalancing.ConfigureAwait(false);
    }

    /// <summary>Test hook: the process "dies" without any cleanup: no more heartbeats, endpoint closed, reminders
    /// stopped; activations are simply abandoned and the membership row stays as it was.</summary>
    internal async Task SimulateCrashAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await membership.StopProbingAsync().ConfigureAwait(false);
        await server.StopAsync().ConfigureAwait(false);
        await reminders.StopAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private async Task OnDeclaredDeadAsync()
    {
        await _deathHandling.WaitAsync().ConfigureAwait(false);
        try
        {
            server.Accepting = false;
            var generation = membership.Generation;
            await catalog.DeactivateAllAsync(
                new DeactivationReason(DeactivationReasonCode.DirectoryFailure,
                    $"Silo {options.SiloId} generation {generation} was declared dead; its grains may be active elsewhere."),
                options.ShutdownTimeout, CancellationToken.None).ConfigureAwait(false);
            if (_stopping.IsCancellationRequested) return;
            await membership.RejoinAsync(_stopping.Token).ConfigureAwait(false);
            server.Accepting = true;
            reminders.RequestRefresh();
            LogRejoined(_logger, options.SiloId, generation, membership.Generation);
            RequestScan();
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        finally
        {
            _deathHandling.Release();
        }
    }

    private void OnMembershipChanged(MembershipChange change)
    {
        reminders.RequestRefresh();
        if (change.Died.Count > 0) RequestScan();
    }

    private Task NotifyReminderOwnerAsync(GrainId grainId)
    {
        var owner = ownership is HashRingReminderOwnership ring ? ring.OwnerOf(grainId) : null;
        return owner is null || owner == options.SiloId
            ? Task.CompletedTask
            : client.NotifyRemindersChangedAsync(owner, _stopping.Token);
    }

    private void RequestScan()
    {
        if (!options.EagerReactivation) return;
        try
        {
            if (_scanRequested.CurrentCount == 0) _scanRequested.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already requested.
        }
    }

    private async Task ScanLoopAsync()
    {
        var token = _stopping.Token;
        // A periodic pass too, in case a scan fell between two views of the ring.
        var period = options.MembershipProbePeriod * 10;
        while (!token.IsCancellationRequested)
        {
            try
            {
                await _scanRequested.WaitAsync(period, token).ConfigureAwait(false);
                await ReactivateOrphansAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogScanFailed(_logger, ex);
                try
                {
                    await TimeUtil.DelayAsync(options.MembershipProbePeriod, time, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Activates the durable grains whose directory entry points at a dead incarnation; each survivor
    /// handles the grains the ring gives it, and placement (activation count) picks where they go.</summary>
    private async Task ReactivateOrphansAsync(CancellationToken cancellationToken)
    {
        if (membership.Generation == 0 || !membership.ActiveSilos.Contains(options.SiloId)) return;
        var orphans = await directory.ListOrphansAsync(cancellationToken).ConfigureAwait(false);
        var mine = new List<(GrainId, GrainTypeInfo)>();
        foreach (var orphan in orphans)
        {
            if (registry.FindByGrainType(orphan.GrainId.Type) is not { } type || !IsDurable(type)) continue;
            if (ownership is HashRingReminderOwnership ring && ring.OwnerOf(orphan.GrainId) != options.SiloId) continue;
            mine.Add((orphan.GrainId, type));
        }
        if (mine.Count == 0) return;
        LogReactivating(_logger, options.SiloId, mine.Count);
        await ActivateAllAsync(mine, cancellationToken).ConfigureAwait(false);
    }

    private async Task ActivateAllAsync(IReadOnlyList<(GrainId Id, GrainTypeInfo Type)> grains, CancellationToken cancellationToken)
    {
        await Parallel.ForEachAsync(grains, new ParallelOptions { MaxDegreeOfParallelism = ReactivationParallelism, CancellationToken = cancellationToken },
            async (grain, _) =>
            {
                try
                {
                    await dispatcher.ActivateAsync(grain.Id, grain.Type).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    LogReactivationFailed(_logger, ex, grain.Id.Type, grain.Id.Key);
                }
            }).ConfigureAwait(false);
    }

    private static bool IsDurable(GrainTypeInfo type) => type.HasPersistentState || type.IsRemindable;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo {SiloId} could not set its membership status to {Status}")]
    private static partial void LogStatusFailed(ILogger logger, Exception exception, string siloId, SiloMembershipStatus status);

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo {SiloId} handed {Count} grains over to the other silos")]
    private static partial void LogHandedOver(ILogger logger, string siloId, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo {SiloId} did not finish handing its grains over within {Timeout}; the others pick them up on their next call or reminder")]
    private static partial void LogHandOverIncomplete(ILogger logger, string siloId, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo {SiloId} rejoined the cluster: generation {OldGeneration} -> {NewGeneration}")]
    private static partial void LogRejoined(ILogger logger, string siloId, long oldGeneration, long newGeneration);

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo {SiloId} re-activates {Count} grains of dead silos")]
    private static partial void LogReactivating(ILogger logger, string siloId, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Re-activating grain {GrainType}/{GrainKey} failed; its next call or reminder activates it")]
    private static partial void LogReactivationFailed(ILogger logger, Exception exception, string grainType, string grainKey);

    [LoggerMessage(Level = LogLevel.Error, Message = "Scanning the grain directory for grains of dead silos failed")]
    private static partial void LogScanFailed(ILogger logger, Exception exception);
}
