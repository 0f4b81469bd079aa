using Orleans;
using Orleans.Services;
using OrleansConnect.Grains.Interfaces.Models;

namespace OrleansConnect.Grains.Interfaces;

/// <summary>One per silo (an Orleans grain service): the statuses of the connectors and tasks activated on that silo,
/// read from the activations' fields without calling them. Listing every connector's status asks each silo once
/// instead of every connector and task grain.</summary>
[Alias("oc.ISiloStatusService")]
public interface ISiloStatusService : IGrainService
{
    Task<SiloStatuses> GetLocalStatuses();
}

/// <summary>What one silo's activations report.</summary>
[GenerateSerializer, Alias("oc.SiloStatuses")]
public sealed record SiloStatuses(List<ConnectorStatusView> Connectors, List<TaskStatusView> Tasks);

/// <summary>A ConnectorGrain activation's status: its connector state, type, how many task configs it has and, per task
/// with an automatic restart plan, the line the status trace starts with.</summary>
[GenerateSerializer, Alias("oc.ConnectorStatusView")]
public sealed record ConnectorStatusView(string Name, ConnectorState Connector, string Type, int TaskCount, Dictionary<int, string> RestartPlans);

/// <summary>A TaskGrain activation's status.</summary>
[GenerateSerializer, Alias("oc.TaskStatusView")]
public sealed record TaskStatusView(string Connector, TaskState Status);

/// <summary>The status of many connectors at once, as GET /connectors?expand=status needs it (a local service).</summary>
public interface IConnectorStatuses
{
    /// <summary>The status of each named connector that exists; a connector deleted meanwhile is left out.</summary>
    Task<IReadOnlyDictionary<string, ConnectorStateInfo>> GetAsync(IReadOnlyList<string> names, CancellationToken cancellationToken);
}
