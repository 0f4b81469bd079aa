using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;

namespace OrleansConnect.Grains.Cluster;

/// <summary>Gives a joining (or restarted) silo its share of the tasks. Orleans' own rebalancer is experimental and
/// moves every grain type by memory weight; this one moves TaskGrains only, one at a time per silo, each with a clean
/// stop and commit before it resumes on the target. Every silo compares its task count with the others': a silo
/// above the fair share, or the first of the fullest when the spread is two or more, moves one task to the emptiest
/// silo, waits until it left, and looks again. A cluster within one task of even stays as it is.</summary>
public sealed class TaskRebalancer(
    ClusterTaskCounts counts,
    LocalTasks localTasks,
    ILocalSiloDetails localSilo,
    ILogger<TaskRebalancer> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan MoveTimeout = TimeSpan.FromSeconds(15);
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;

    public void Participate(ISiloLifecycle lifecycle) => lifecycle.Subscribe(
        nameof(TaskRebalancer), ServiceLifecycleStage.Active,
        _ => { _loop = Task.Run(() => RunAsync(_stopping.Token)); return Task.CompletedTask; },
        async _ => { await _stopping.CancelAsync(); if (_loop is not null) await _loop; });

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
        var known = await counts.GetAsync(forceRefresh: true);
        var me = localSilo.SiloAddress;
        if (known.Count < 2 || !known.ContainsKey(me)) return;
        var mine = known[me];
        var total = known.Values.Sum();
        var ceiling = (total + known.Count - 1) / known.Count;
        var (target, fewest) = known.OrderBy(kv => kv.Value).ThenBy(kv => kv.Key.ToParsableString(), StringComparer.Ordinal)
            .Select(kv => (kv.Key, kv.Value)).First();
        if (mine - fewest < 2) return;
        var firstOfFullest = known.Where(kv => kv.Value == known.Values.Max())
            .OrderBy(kv => kv.Key.ToParsableString(), StringComparer.Ordinal).First().Key.Equals(me);
        if (mine <= ceiling && !firstOfFullest) return;
        var tasks = localTasks.Snapshot();
        if (tasks.Count == 0) return;
        var (key, grain) = tasks[^1];
        logger.LogInformation("Moving task {Task} to silo {Silo} ({Mine} tasks here, {Fewest} there)", key, target, mine, fewest);
        await grain.MoveTo(target);
        // One at a time: wait until it has left before looking again.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(MoveTimeout);
        try
        {
            while (localTasks.Snapshot().Any(t => t.Key == key))
                await Task.Delay(TimeSpan.FromMilliseconds(100), deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("Task {Task} did not leave within {Timeout}", key, MoveTimeout);
        }
    }
}
