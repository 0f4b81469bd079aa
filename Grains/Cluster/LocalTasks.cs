using System.Collections.Concurrent;
using OrleansConnect.Grains.Interfaces;

namespace OrleansConnect.Grains.Cluster;

/// <summary>The TaskGrain activations on this silo, by key: what the join rebalancer may move away.</summary>
public sealed class LocalTasks
{
    private readonly ConcurrentDictionary<string, ITaskGrain> _tasks = new(StringComparer.Ordinal);

    public int Count => _tasks.Count;

    public void Add(string key, ITaskGrain grain) => _tasks[key] = grain;

    public void Remove(string key) => _tasks.TryRemove(key, out _);

    /// <summary>The tasks here, in key order (moves pick from the end, so the choice is stable between rounds).</summary>
    public IReadOnlyList<KeyValuePair<string, ITaskGrain>> Snapshot() =>
        _tasks.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
}
