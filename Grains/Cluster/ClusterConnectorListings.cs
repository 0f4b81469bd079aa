using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;
using OrleansConnect.Grains.Interfaces;
using OrleansConnect.Grains.Interfaces.Errors;
using OrleansConnect.Grains.Interfaces.Models;

namespace OrleansConnect.Grains.Cluster;

/// <summary>The statuses and infos of many connectors from one call per active silo (<see cref="ISiloStatusService"/>)
/// instead of one per connector and task, so listing 10,000 connectors costs three calls on three silos. Everything is
/// read live from the activations, as the per-connector calls read it. A connector with no activation (or one on a silo
/// that did not answer) is asked directly, which activates it as a single request would.</summary>
public sealed class ClusterConnectorListings(
    ISiloStatusClient silos,
    IClusterMembershipService membership,
    IGrainFactory grains,
    ILogger<ClusterConnectorListings> logger) : IConnectorListings
{
    // A silo reads its activations' fields in milliseconds; one that takes longer is dying or cut off.
    private static readonly TimeSpan SiloTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan UnreachableBudget = TimeSpan.FromSeconds(15);
    private const int DirectCallParallelism = 32;

    public async Task<IReadOnlyDictionary<string, ConnectorListing>> GetAsync(IReadOnlyList<string> names, bool status, bool info,
        CancellationToken cancellationToken)
    {
        var active = membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress).ToList();
        var reports = await Task.WhenAll(active.Select(silo => AskAsync(silo, info, cancellationToken)));

        var connectors = new Dictionary<string, ConnectorStatusView>(StringComparer.Ordinal);
        var tasks = new Dictionary<(string Connector, int Task), TaskState>();
        foreach (var report in reports.OfType<SiloStatuses>())
        {
            foreach (var connector in report.Connectors) connectors[connector.Name] = connector;
            foreach (var task in report.Tasks)
            {
                // Two activations of one task are seen only while it moves between silos: the one running wins.
                var key = (task.Connector, task.Status.Id);
                if (!tasks.TryGetValue(key, out var seen) || seen.State == States.Unassigned) tasks[key] = task.Status;
            }
        }

        var result = new Dictionary<string, ConnectorListing>(StringComparer.Ordinal);
        var unseen = new List<string>();
        foreach (var name in names)
        {
            if (connectors.TryGetValue(name, out var view) && (!info || view.Info is not null))
                result[name] = new ConnectorListing(status ? Merge(view, tasks) : null, info ? view.Info : null);
            else unseen.Add(name);
        }
        if (unseen.Count == 0) return result;

        var asked = new System.Collections.Concurrent.ConcurrentDictionary<string, ConnectorListing>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(unseen, new ParallelOptions { MaxDegreeOfParallelism = DirectCallParallelism, CancellationToken = cancellationToken },
            async (name, ct) =>
            {
                var grain = grains.GetGrain<IConnectorGrain>(name);
                try
                {
                    // A connector on a silo that just died comes back elsewhere once membership declares the silo dead.
                    var connectorStatus = status ? await SiloUnreachable.RetryAsync(grain.GetStatus, UnreachableBudget, ct) : null;
                    var connectorInfo = info ? await SiloUnreachable.RetryAsync(grain.GetInfo, UnreachableBudget, ct) : null;
                    asked[name] = new ConnectorListing(connectorStatus, connectorInfo);
                }
                catch (ConnectRestException e) when (e.Status == 404) { } // deleted meanwhile: left out, as Connect does
            });
        foreach (var (name, listing) in asked) result[name] = listing;
        return result;
    }

    private async Task<SiloStatuses?> AskAsync(SiloAddress silo, bool withInfo, CancellationToken cancellationToken)
    {
        try
        {
            return await silos.GetAsync(silo, withInfo).WaitAsync(SiloTimeout, cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(e, "Silo {Silo} did not report its connector and task statuses; asking its connectors directly", silo);
            return null;
        }
    }

    private static ConnectorStateInfo Merge(ConnectorStatusView view, Dictionary<(string, int), TaskState> tasks)
    {
        var list = new List<TaskState>(view.TaskCount);
        for (var i = 0; i < view.TaskCount; i++)
        {
            if (!tasks.TryGetValue((view.Name, i), out var task))
            {
                // No activation anywhere (its silo just died, or it waits for the next reconcile).
                list.Add(new TaskState(i, States.Unassigned, view.Connector.WorkerId));
                continue;
            }
            if (task.State == States.Failed && view.RestartPlans.TryGetValue(i, out var plan))
                task = task with { Trace = plan + "\n" + task.Trace };
            list.Add(task);
        }
        return new ConnectorStateInfo(view.Name, view.Connector, list, view.Type);
    }
}
