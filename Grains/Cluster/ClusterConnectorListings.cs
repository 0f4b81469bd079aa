using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Providers;
using Orleans.Runtime;
using Orleans.Storage;
using OrleansConnect.Grains.Connectors;
using OrleansConnect.Grains.Plugins;
using OrleansConnect.Grains.Registry;
using OrleansConnect.Grains.Security;
using OrleansConnect.Grains.Interfaces;
using OrleansConnect.Grains.Interfaces.Errors;
using OrleansConnect.Grains.Interfaces.Models;

namespace OrleansConnect.Grains.Cluster;

/// <summary>The statuses and infos of many connectors from one call per active silo (<see cref="ISiloStatusService"/>)
/// instead of one per connector and task, so listing 10,000 connectors costs three calls on three silos. Everything is
/// read live from the activations, as the per-connector calls read it. A connector with no activation (or one on a silo
/// that did not answer) is asked directly, which activates it as a single request would.
///
/// A grain on a silo that cannot be reached (killed, and not declared dead yet: for the death timeout, or for as long as
/// the membership store is down) fails no listing: a registry shard there is read from its stored state, which every
/// change is written to before it is acknowledged, and a connector there is listed from its stored config as
/// UNASSIGNED on that silo, with a trace that says so.</summary>
public sealed class ClusterConnectorListings(
    ISiloStatusClient silos,
    ILocalSiloDetails localSilo,
    IClusterMembershipService membership,
    IGrainFactory grains,
    IWorkerInfo worker,
    ISiloNames siloNames,
    ConnectorSecrets secrets,
    PluginRegistry plugins,
    IServiceProvider services,
    ILogger<ClusterConnectorListings> logger) : IConnectorListings
{
    // A silo reads its activations' fields in milliseconds; one that takes longer is dying or cut off.
    private static readonly TimeSpan SiloTimeout = TimeSpan.FromSeconds(5);
    // A connector or registry shard answers from memory; past this its silo is paused or cut off.
    private static readonly TimeSpan GrainTimeout = TimeSpan.FromSeconds(5);
    private const int DirectCallParallelism = 32;

    public Task<List<string>> ListNamesAsync(CancellationToken cancellationToken) =>
        new ConnectorRegistry(grains, worker.GroupId).ListAsync(async (shard, failure, ct) =>
        {
            var key = shard.GetPrimaryKeyString();
            logger.LogWarning("Connector registry shard {Shard} cannot be reached ({Silo}): listing its stored names ({Reason})",
                key, Describe(failure), failure.GetType().Name);
            return (await ReadStoredAsync<ConnectorRegistryState>(shard, "registry", ct)).Names;
        }, GrainTimeout, cancellationToken);

    public Task PingLocalAsync(CancellationToken cancellationToken) =>
        silos.GetAsync(localSilo.SiloAddress, withInfo: false).WaitAsync(cancellationToken);

    public async Task<ConnectorListing?> GetLiveAsync(string name, CancellationToken cancellationToken)
    {
        var live = await GetAsync([name], status: true, info: true, askUnseen: false, cancellationToken);
        return live.GetValueOrDefault(name);
    }

    public Task<IReadOnlyDictionary<string, ConnectorListing>> GetAsync(IReadOnlyList<string> names, bool status, bool info,
        CancellationToken cancellationToken) => GetAsync(names, status, info, askUnseen: true, cancellationToken);

    private async Task<IReadOnlyDictionary<string, ConnectorListing>> GetAsync(IReadOnlyList<string> names, bool status, bool info,
        bool askUnseen, CancellationToken cancellationToken)
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
        if (unseen.Count == 0 || !askUnseen) return result;

        var asked = new System.Collections.Concurrent.ConcurrentDictionary<string, ConnectorListing>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(unseen, new ParallelOptions { MaxDegreeOfParallelism = DirectCallParallelism, CancellationToken = cancellationToken },
            async (name, ct) =>
            {
                var grain = grains.GetGrain<IConnectorGrain>(name);
                try
                {
                    var connectorStatus = status ? await grain.GetStatus().WaitAsync(GrainTimeout, ct) : null;
                    var connectorInfo = info ? await grain.GetInfo().WaitAsync(GrainTimeout, ct) : null;
                    asked[name] = new ConnectorListing(connectorStatus, connectorInfo);
                }
                catch (ConnectRestException e) when (e.Status == 404) { } // deleted meanwhile: left out, as Connect does
                catch (Exception e) when (SiloUnreachable.Is(e) || e is TimeoutException)
                {
                    // Its silo comes back into reach or is declared dead (then the connector activates elsewhere); until
                    // then the listing answers what is stored, rather than failing for one connector.
                    if (await StoredListingAsync(grain, name, e, status, info, ct) is { } stored) asked[name] = stored;
                }
            });
        foreach (var (name, listing) in asked) result[name] = listing;
        return result;
    }

    /// <summary>A connector whose grain cannot be reached, from its stored state: its info as the grain gives it, and
    /// UNASSIGNED on the unreachable silo with a trace saying why. Null when it is not stored (deleted).</summary>
    private async Task<ConnectorListing?> StoredListingAsync(IConnectorGrain grain, string name, Exception failure, bool status, bool info,
        CancellationToken cancellationToken)
    {
        var silo = Describe(failure);
        logger.LogWarning("Connector {Connector} cannot be reached ({Silo}): listing it from its stored config ({Reason})",
            name, silo, failure.GetType().Name);
        var stored = await ReadStoredAsync<ConnectorGrainState>(grain, "connector", cancellationToken);
        if (stored.Config is null) return null;
        var type = plugins.FindConnector(stored.Config.GetValueOrDefault(Config.ConnectorConfig.ConnectorClass, "")) is { } desc
            ? desc.Type.ToConnectName()
            : "unknown";
        var taskCount = stored.TaskConfigs.Count;
        var trace = $"Silo {silo} holding this connector cannot be reached: it stopped or is cut off and has not been declared dead yet. " +
                    "Its config is read from storage; its state is unknown until it runs again.";
        var connectorStatus = status
            ? new ConnectorStateInfo(name, new ConnectorState(States.Unassigned, silo, trace),
                Enumerable.Range(0, taskCount).Select(i => new TaskState(i, States.Unassigned, silo)).ToList(), type)
            : null;
        var connectorInfo = info
            ? new ConnectorInfo(name, secrets.Mask(stored.Config, secrets.SecretKeys(stored.Config)),
                Enumerable.Range(0, taskCount).Select(i => new ConnectorTaskId(name, i)).ToList(), type)
            : null;
        return new ConnectorListing(connectorStatus, connectorInfo);
    }

    /// <summary>A grain's state as stored (what its activation last wrote), read without the activation.</summary>
    private async Task<T> ReadStoredAsync<T>(IAddressable grain, string stateName, CancellationToken cancellationToken) where T : new()
    {
        var storage = services.GetRequiredKeyedService<IGrainStorage>(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME);
        var state = new GrainState<T> { State = new T() };
        await storage.ReadStateAsync(stateName, grain.GetGrainId(), state).WaitAsync(cancellationToken);
        return state.State ?? new T();
    }

    private string Describe(Exception failure) =>
        SiloUnreachable.SiloOf(failure) is { } silo ? siloNames.Describe(silo) : "unknown";

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
