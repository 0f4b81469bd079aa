using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;
using OrleansConnect.Grains.Interfaces;
using OrleansConnect.Grains.Worker;

namespace OrleansConnect.Grains.Cluster;

/// <summary>Wakes a dead silo's connectors and tasks at once. Orleans forgets a dead silo's activations, and a grain
/// comes back only with its next call: without this, a lost task would wait for its connector's next reminder tick.
/// When membership declares a silo dead, every surviving silo reconciles its share of the connectors (split by a
/// stable hash over the active silos), which re-activates every task that is not running.</summary>
public sealed class DeadSiloSupervisor(
    IClusterMembershipService membership,
    ILocalSiloDetails localSilo,
    IGrainFactory grains,
    ConnectWorker worker,
    ILogger<DeadSiloSupervisor> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    // Calls wait on other silos and storage more than on this CPU: enough in flight to keep both busy.
    private const int Parallelism = 64;
    private readonly CancellationTokenSource _stopping = new();
    private static readonly TimeSpan SecondPassDelay = TimeSpan.FromSeconds(10);
    private Task? _watch;
    private Task? _secondPass;

    public void Participate(ISiloLifecycle lifecycle) => lifecycle.Subscribe(
        nameof(DeadSiloSupervisor), ServiceLifecycleStage.Active,
        _ => { _watch = Task.Run(() => WatchAsync(_stopping.Token)); return Task.CompletedTask; },
        async _ =>
        {
            await _stopping.CancelAsync();
            if (_watch is not null) await _watch;
            try { if (_secondPass is not null) await _secondPass; }
            catch (OperationCanceledException) { }
        });

    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        var previous = membership.CurrentSnapshot;
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(cancellationToken))
            {
                var died = snapshot.Members.Values
                    .Where(m => m.Status == SiloStatus.Dead && previous.GetSiloStatus(m.SiloAddress) != SiloStatus.Dead
                        && !m.SiloAddress.Equals(localSilo.SiloAddress))
                    .Select(m => m.SiloAddress)
                    .ToList();
                previous = snapshot;
                if (died.Count == 0) continue;
                logger.LogWarning("Silo {Silos} declared dead; waking its connectors and tasks", string.Join(", ", died));
                await WakeOrLogAsync(snapshot, died, cancellationToken);
                // A second pass a little later catches what the first could not reach: an activation started while the
                // directory was still settling and then dropped as a duplicate would otherwise wait for its connector's
                // next reminder tick (measured: one task of 3,414 waited 40 s). Running tasks make it a no-op.
                var again = snapshot;
                _secondPass = Task.Run(async () =>
                {
                    await Task.Delay(SecondPassDelay, cancellationToken);
                    await WakeOrLogAsync(membership.CurrentSnapshot.Version > again.Version ? membership.CurrentSnapshot : again, died, cancellationToken);
                }, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { }
    }

    private async Task WakeOrLogAsync(ClusterMembershipSnapshot snapshot, List<SiloAddress> died, CancellationToken cancellationToken)
    {
        try { await WakeShareAsync(snapshot, cancellationToken); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The connectors' reminders are the backstop.
            logger.LogError(e, "Could not wake the connectors of dead silo {Silos}", string.Join(", ", died));
        }
    }

    private async Task WakeShareAsync(ClusterMembershipSnapshot snapshot, CancellationToken cancellationToken)
    {
        var active = snapshot.Members.Values.Where(m => m.Status == SiloStatus.Active)
            .Select(m => m.SiloAddress.ToParsableString()).Order(StringComparer.Ordinal).ToList();
        var me = active.IndexOf(localSilo.SiloAddress.ToParsableString());
        if (me < 0) return;
        var names = await new ConnectorRegistry(grains, worker.Config.GetString(WorkerConfig.GroupId)!).ListAsync();
        var mine = names.Where(n => ConnectorRegistry.StableHash(n) % (uint)active.Count == me).ToList();
        await Parallel.ForEachAsync(mine, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
            async (name, _) =>
            {
                try { await grains.GetGrain<IConnectorGrain>(name).Reconcile(); }
                catch (Exception e) { logger.LogWarning(e, "Connector {Connector} could not be woken; its reminder will retry", name); }
            });
        logger.LogInformation("Woke {Count} of {Total} connectors after a silo died", mine.Count, names.Count);
    }
}
