using Orleans;
using OrleansConnect.Grains.Interfaces.Models;

namespace OrleansConnect.Grains.Interfaces;

/// <summary>One per connector; key = connector name. Persistent state: config, target state, task configs.
/// Errors are thrown as <see cref="Errors.ConnectRestException"/> subclasses with Connect's messages.</summary>
[Alias("oc.IConnectorGrain")]
public interface IConnectorGrain : IGrainWithStringKey
{
    /// <summary>Validates and stores a config. allowReplace=false (POST) answers 409 if it exists.
    /// initialState applies only when the connector is created.</summary>
    Task<PutConfigResult> PutConfig(Dictionary<string, string> config, bool allowReplace, TargetState? initialState);

    /// <summary>Sets keys with values, removes keys whose value is null; 404 if unknown.</summary>
    Task<ConnectorInfo> PatchConfig(Dictionary<string, string?> patch);

    /// <summary>404 "Connector {name} not found" if unknown.</summary>
    Task<ConnectorInfo> GetInfo();

    /// <summary>True when the connector exists (a config is stored).</summary>
    Task<bool> Exists();

    Task Delete();
    Task Pause();
    Task Resume();
    Task Stop();

    /// <summary>404 "No status found for connector {name}" if unknown.</summary>
    Task<ConnectorStateInfo> GetStatus();

    /// <summary>The metrics of the connector's running tasks, wherever they run; 404 if unknown.</summary>
    Task<ConnectorMetricsInfo> GetMetrics();

    Task<List<TaskInfo>> GetTasks();

    /// <summary>Restart per Connect's matrix. Returns null for the plain (204) restart, otherwise the
    /// status with the restart plan overlaid (202 body).</summary>
    Task<ConnectorStateInfo?> Restart(bool includeTasks, bool onlyFailed);

    Task RestartTask(int taskId);

    /// <summary>404 "No status found for task {name}-{id}" if unknown.</summary>
    Task<TaskState> GetTaskStatus(int taskId);

    /// <summary>Called by the connector instance (outside a turn) when it asks for new task configs.</summary>
    Task RequestTaskReconfiguration();

    /// <summary>Drives the connector and its tasks to the target state now, re-activating tasks whose silo died
    /// (the dead-silo supervisor calls it instead of waiting for the next reminder tick).</summary>
    Task Reconcile();

    /// <summary>Called by a task's loop (outside the task grain's turn) when it failed.</summary>
    Task OnTaskFailed(int taskId, string trace);

    /// <summary>The connector's offsets in any state: a source's from the offset topic, a sink's as its consumer
    /// group's committed offsets ({"kafka_topic","kafka_partition"} → {"kafka_offset"}). 404 if unknown.</summary>
    Task<ConnectorOffsets> GetOffsets();

    /// <summary>Alters offsets (a null offset removes that partition's offset). Only while STOPPED (400 otherwise);
    /// returns Connect's success message, which depends on the connector's own alterOffsets answer.</summary>
    Task<string> AlterOffsets(ConnectorOffsets offsets);

    /// <summary>Removes every offset of the connector; idempotent. Only while STOPPED.</summary>
    Task<string> ResetOffsets();

    /// <summary>Topics the connector's tasks produced to or consumed from since the last reset (empty for an
    /// unknown connector). 403 when topic.tracking.enable is false.</summary>
    Task<List<string>> GetActiveTopics();

    /// <summary>Forgets the active topics (tasks report a topic again with its next record). 403 when topic
    /// tracking or its reset is disabled; no existence check.</summary>
    Task ResetActiveTopics();
}
