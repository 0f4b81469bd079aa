using Orleans;
using OrleansConnect.Grains.Interfaces.Models;

namespace OrleansConnect.Grains.Interfaces;

/// <summary>What a TaskGrain runs: the task config the connector generated, the connector's config,
/// the target state and the generation (bumped on every reconfiguration, used for fencing).</summary>
[GenerateSerializer, Alias("oc.TaskAssignment")]
public sealed record TaskAssignment(
    Dictionary<string, string> ConnectorConfig,
    Dictionary<string, string> TaskConfig,
    TargetState TargetState,
    long Generation);

/// <summary>A task's answer to <see cref="ITaskGrain.Assign"/>: its status after the call, and its active topics
/// before it (a new generation restarts the loop, which forgets them).</summary>
[GenerateSerializer, Alias("oc.TaskReport")]
public sealed record TaskReport(TaskState Status, List<string> ActiveTopics);

/// <summary>One per task; key = "&lt;connector&gt;-&lt;task&gt;" (<see cref="ConnectorTaskId"/>). Runs the task loop
/// on the silo where it is activated. Never calls the ConnectorGrain from inside a turn.</summary>
[Alias("oc.ITaskGrain")]
public interface ITaskGrain : IGrainWithStringKey
{
    /// <summary>Starts (or reconfigures) the task; a running task with the same generation is left alone. Answers
    /// the task's status and the topics it used until now, so that a connector's reconcile costs one call per task.</summary>
    Task<TaskReport> Assign(TaskAssignment assignment);

    /// <summary>Moves a running task to PAUSED or back to RUNNING.</summary>
    Task SetTargetState(TargetState state);

    /// <summary>Stops the task cleanly (flush and commit) and forgets the assignment.</summary>
    Task Unassign();

    /// <summary>Stops and starts the task again with its current assignment.</summary>
    Task Restart();

    Task<TaskState> GetStatus();

    /// <summary>The running loop's Connect metrics; null while no loop runs.</summary>
    Task<TaskMetricsInfo?> GetMetrics();

    /// <summary>Topics the running task produced to or consumed from since it started or since the last
    /// <see cref="ResetActiveTopics"/>.</summary>
    Task<List<string>> GetActiveTopics();

    Task ResetActiveTopics();

    /// <summary>Moves the task to <paramref name="silo"/>: a clean stop and commit here, a resume there (the join
    /// rebalancer calls it).</summary>
    Task MoveTo(Orleans.Runtime.SiloAddress silo);
}
