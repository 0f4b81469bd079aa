using System.Collections.Concurrent;
using OrleansConnect.Grains.Interfaces;

namespace OrleansConnect.Grains.Cluster;

/// <summary>The connector activations on this silo, each with a function that reads its status from its own fields
/// (never its grain state, which Orleans guards to the grain's turns), and with the tasks of <see cref="LocalTasks"/>:
/// what <see cref="SiloStatusService"/> reports for a listing.</summary>
public sealed class LocalStatuses(LocalTasks tasks)
{
    private readonly ConcurrentDictionary<string, Func<bool, ConnectorStatusView?>> _connectors = new(StringComparer.Ordinal);

    /// <summary>Lists a connector activation; <paramref name="status"/> gets whether to include the info.</summary>
    public IDisposable AddConnector(string name, Func<bool, ConnectorStatusView?> status)
    {
        _connectors[name] = status;
        return new Removal(_connectors, name, status);
    }

    public SiloStatuses Snapshot(bool withInfo) => new(
        _connectors.Values.Select(read => read(withInfo)).OfType<ConnectorStatusView>().ToList(),
        tasks.Statuses());

    /// <summary>Removes the entry only if it is still the one added (a newer activation may have replaced it).</summary>
    private sealed class Removal(ConcurrentDictionary<string, Func<bool, ConnectorStatusView?>> entries, string key, Func<bool, ConnectorStatusView?> value)
        : IDisposable
    {
        public void Dispose() => entries.TryRemove(new KeyValuePair<string, Func<bool, ConnectorStatusView?>>(key, value));
    }
}
