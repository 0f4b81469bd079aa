using System.Collections.Concurrent;
using OrleansConnect.Grains.Interfaces;

namespace OrleansConnect.Grains.Cluster;

/// <summary>The TaskGrain activations on this silo, by key: what the join rebalancer may move away, whether the fence
/// must keep confirming this silo, and each task's status as the silo's status listing reads it (from the activation's
/// fields, outside its turns).</summary>
public sealed class LocalTasks
{
    private readonly ConcurrentDictionary<string, (ITaskGrain Grain, Func<TaskStatusView> Status)> _tasks = new(StringComparer.Ordinal);

    public int Count => _tasks.Count;

    public void Add(string key, ITaskGrain grain, Func<TaskStatusView> status) => _tasks[key] = (grain, status);

    public void Remove(string key) => _tasks.TryRemove(key, out _);

    /// <summary>The tasks here, in key order (moves pick from the end, so the choice is stable between rounds).</summary>
    public IReadOnlyList<KeyValuePair<string, ITaskGrain>> Snapshot() =>
        _tasks.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, kv.Value.Grain)).ToList();

    /// <summary>Every local task's status now.</summary>
    public List<TaskStatusView> Statuses() => _tasks.Values.Select(t => t.Status()).ToList();
}
