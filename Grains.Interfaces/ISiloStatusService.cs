using Orleans;
using Orleans.Services;
using OrleansConnect.Grains.Interfaces.Models;

namespace OrleansConnect.Grains.Interfaces;

/// <summary>One per silo (an Orleans grain service): the statuses (and, when asked, the infos) of the connectors and
/// tasks activated on that silo, read from the activations' fields without calling them. Listing every connector asks
/// each silo once instead of every connector and task grain.</summary>
[Alias("oc.ISiloStatusService")]
public interface ISiloStatusService : IGrainService
{
    Task<SiloStatuses> GetLocalStatuses(bool withInfo);
}

/// <summary>What one silo's activations report.</summary>
[GenerateSerializer, Alias("oc.SiloStatuses")]
public sealed record SiloStatuses(List<ConnectorStatusView> Connectors, List<TaskStatusView> Tasks);

/// <summary>A ConnectorGrain activation's status: its connector state, type, how many task configs it has, per task
/// with an automatic restart plan the line the status trace starts with, and its info (secrets masked) when asked.</summary>
[GenerateSerializer, Alias("oc.ConnectorStatusView")]
public sealed record ConnectorStatusView(string Name, ConnectorState Connector, string Type, int TaskCount,
    Dictionary<int, string> RestartPlans, ConnectorInfo? Info);

/// <summary>A TaskGrain activation's status.</summary>
[GenerateSerializer, Alias("oc.TaskStatusView")]
public sealed record TaskStatusView(string Connector, TaskState Status);

/// <summary>One connector of a listing: the expansions asked for.</summary>
public sealed record ConnectorListing(ConnectorStateInfo? Status, ConnectorInfo? Info);

/// <summary>The status and info of many connectors at once, as GET /connectors?expand=... needs them (a local service).</summary>
public interface IConnectorListings
{
    /// <summary>The requested expansions of each named connector that exists; a connector deleted meanwhile is left out.</summary>
    Task<IReadOnlyDictionary<string, ConnectorListing>> GetAsync(IReadOnlyList<string> names, bool status, bool info, CancellationToken cancellationToken);

    /// <summary>Every connector name, sorted ordinally; a registry shard that cannot be reached is read from storage.</summary>
    Task<List<string>> ListNamesAsync(CancellationToken cancellationToken);

    /// <summary>The connector's status and info as the silos that answer report its activation (no call to the
    /// connector's grain, nor to the grain directory); null when no answering silo has it.</summary>
    Task<ConnectorListing?> GetLiveAsync(string name, CancellationToken cancellationToken);

    /// <summary>One call through this silo's grain runtime to its own status service: an answer proves that this silo
    /// serves grain calls, whatever the state of the others (GET /health).</summary>
    Task PingLocalAsync(CancellationToken cancellationToken);
}
