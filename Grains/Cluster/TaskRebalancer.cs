using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;

namespace OrleansConnect.Grains.Cluster;

/// <summary>Gives a joining (or restarted) silo its share of the tasks. Orleans' own rebalancer is experimental and
/// moves every grain type by memory weight; this one moves TaskGrains only, one at a time per silo, each with a clean
/// stop and commit before it resumes on the target. A silo that sees another silo join (a new silo address: a new
/// silo or a restarted one) compares its task count with the others' for a while: a silo above the fair share, or
/// the first of the fullest while the spread is two or more, moves one task to the emptiest silo, waits until it
/// left, and looks again. Only a join arms it: creating, changing or deleting connectors never moves a running task.</summary>
public sealed class TaskRebalancer(
    ClusterTaskCounts counts,
    LocalTasks localTasks,
    ILocalSiloDetails localSilo,
    IClusterMembershipService membership,
    ILogger<TaskRebalancer> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan MoveTimeout = TimeSpan.FromSeconds(15);
    // How long a join keeps rebalancing armed: long enough for a newcomer to receive its share one task at a time.
    private static readonly TimeSpan ArmedFor = TimeSpan.FromSeconds(90);
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;
    private Task? _watch;
    private long _armedUntilTicks;

    public void Participate(ISiloLifecycle lifecycle) => lifecycle.Subscribe(
        nameof(TaskRebalancer), ServiceLifecycleStage.Active,
        _ =>
        {
            _watch = Task.Run(() => WatchJoinsAsync(_stopping.Token));
            _loop = Task.Run(() => RunAsync(_stopping.Token));
            return Task.CompletedTask;
        },
        async _ =>
        {
            await _stopping.CancelAsync();
            if (_loop is not null) await _loop;
            if (_watch is not null) await _watch;
        });

    private bool Armed => DateTime.UtcNow.Ticks < Interlocked.Read(ref _armedUntilTicks);

    /// <summary>Arms rebalancing when a silo this one has not seen active before becomes active.</summary>
    private async Task WatchJoinsAsync(CancellationToken cancellationToken)
    {
        var seen = membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress).ToHashSet();
        // This silo joining is a join too: armed, it can hand back a task should the others overshoot.
        if (seen.Any(s => !s.Equals(localSilo.SiloAddress))) Interlocked.Exchange(ref _armedUntilTicks, (DateTime.UtcNow + ArmedFor).Ticks);
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(cancellationToken))
            {
                foreach (var member in snapshot.Members.Values.Where(m => m.Status == SiloStatus.Active))
                {
                    if (!seen.Add(member.SiloAddress) || member.SiloAddress.Equals(localSilo.SiloAddress)) continue;
                    logger.LogInformation("Silo {Silo} joined; rebalancing tasks onto it", member.SiloAddress);
                    Interlocked.Exchange(ref _armedUntilTicks, (DateTime.UtcNow + ArmedFor).Ticks);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Period);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try { await BalanceOnceAsync(cancellationToken); }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogDebug(e, "Rebalancing round failed; trying again");
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { }
    }

    private async Task BalanceOnceAsync(CancellationToken cancellationToken)
    {
        if (!Armed) return;
        var reported = await counts.GetAsync(forceRefresh: true);
        var me = localSilo.SiloAddress;
        if (reported.Count < 2 || !reported.ContainsKey(me)) return;
        // Orleans' counters follow a move with some delay; this silo's own count is exact.
        var known = reported.ToDictionary(kv => kv.Key, kv => kv.Key.Equals(me) ? localTasks.Count : kv.Value);
        var mine = known[me];
        var total = known.Values.Sum();
        var ceiling = (total + known.Count - 1) / known.Count;
        var (target, fewest) = known.OrderBy(kv => kv.Value).ThenBy(kv => kv.Key.ToParsableString(), StringComparer.Ordinal)
            .Select(kv => (kv.Key, kv.Value)).First();
        if (mine - fewest < 2)
        {
            // Balanced: stay put until the next join.
            if (known.Values.Max() - fewest < 2) Interlocked.Exchange(ref _armedUntilTicks, 0);
            return;
        }
        var firstOfFullest = known.Where(kv => kv.Value == known.Values.Max())
            .OrderBy(kv => kv.Key.ToParsableString(), StringComparer.Ordinal).First().Key.Equals(me);
        if (mine <= ceiling && !firstOfFullest) return;
        var tasks = localTasks.Snapshot();
        if (tasks.Count == 0) return;
        var (key, grain) = tasks[^1];
        logger.LogInformation("Moving task {Task} to silo {Silo} ({Mine} tasks here, {Fewest} there)", key, target, mine, fewest);
        await grain.MoveTo(target);
        // One at a time: wait until it has arrived there (the target's count grew) before looking again.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(MoveTimeout);
        try
        {
            while (localTasks.Snapshot().Any(t => t.Key == key)
                || (await counts.GetAsync(forceRefresh: true)).GetValueOrDefault(target) <= reported.GetValueOrDefault(target))
                await Task.Delay(TimeSpan.FromMilliseconds(200), deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("Task {Task} did not arrive on {Silo} within {Timeout}", key, target, MoveTimeout);
        }
    }
}
