using System.Collections.Concurrent;
using OrleansConnect.Grains.Interfaces;

namespace OrleansConnect.Grains.Cluster;

/// <summary>The connector and task activations on this silo, each with a function that reads its status from its own
/// fields (never its grain state, which Orleans guards to the grain's turns). <see cref="SiloStatusService"/> reads
/// them all at once for a listing.</summary>
public sealed class LocalStatuses
{
    private readonly ConcurrentDictionary<string, Func<bool, ConnectorStatusView?>> _connectors = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Func<TaskStatusView?>> _tasks = new(StringComparer.Ordinal);

    /// <summary>Lists a connector activation; <paramref name="status"/> gets whether to include the info.</summary>
    public IDisposable AddConnector(string name, Func<bool, ConnectorStatusView?> status) => Add(_connectors, name, status);

    public IDisposable AddTask(string key, Func<TaskStatusView?> status) => Add(_tasks, key, status);

    public SiloStatuses Snapshot(bool withInfo) => new(
        _connectors.Values.Select(read => read(withInfo)).OfType<ConnectorStatusView>().ToList(),
        _tasks.Values.Select(read => read()).OfType<TaskStatusView>().ToList());

    private static IDisposable Add<T>(ConcurrentDictionary<string, T> entries, string key, T value) where T : class
    {
        entries[key] = value;
        return new Removal<T>(entries, key, value);
    }

    /// <summary>Removes the entry only if it is still the one added (a newer activation may have replaced it).</summary>
    private sealed class Removal<T>(ConcurrentDictionary<string, T> entries, string key, T value) : IDisposable where T : class
    {
        public void Dispose() => entries.TryRemove(new KeyValuePair<string, T>(key, value));
    }
}
