using Orleans;
using System.Text.Json.Serialization;

namespace OrleansConnect.Grains.Interfaces.Models;

/// <summary>Connect's ConnectorTaskId: {"connector": name, "task": id}; "name-id" as a string.</summary>
[GenerateSerializer, Alias("oc.ConnectorTaskId")]
public sealed record ConnectorTaskId(
    [property: JsonPropertyName("connector")] string Connector,
    [property: JsonPropertyName("task")] int Task)
{
    public override string ToString() => $"{Connector}-{Task}";

    /// <summary>Parses "name-id" (the task id is after the last '-', names may contain '-').</summary>
    public static ConnectorTaskId Parse(string value)
    {
        var dash = value.LastIndexOf('-');
        if (dash <= 0 || !int.TryParse(value.AsSpan(dash + 1), out var id))
            throw new FormatException($"'{value}' is not a connector task id of the form <connector>-<task>.");
        return new ConnectorTaskId(value[..dash], id);
    }
}

/// <summary>Connect's ConnectorInfo.</summary>
[GenerateSerializer, Alias("oc.ConnectorInfo")]
public sealed record ConnectorInfo(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("config")] Dictionary<string, string> Config,
    [property: JsonPropertyName("tasks")] List<ConnectorTaskId> Tasks,
    [property: JsonPropertyName("type")] string Type);

/// <summary>Connect's TaskInfo.</summary>
[GenerateSerializer, Alias("oc.TaskInfo")]
public sealed record TaskInfo(
    [property: JsonPropertyName("id")] ConnectorTaskId Id,
    [property: JsonPropertyName("config")] Dictionary<string, string> Config);

/// <summary>connector / task state as reported in ConnectorStateInfo. trace is omitted when empty.</summary>
[GenerateSerializer, Alias("oc.ConnectorState")]
public sealed record ConnectorState(
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("worker_id")] string WorkerId,
    [property: JsonPropertyName("trace"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Trace = null);

[GenerateSerializer, Alias("oc.TaskState")]
public sealed record TaskState(
    [property: JsonPropertyName("id")] int Id,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("worker_id")] string WorkerId,
    [property: JsonPropertyName("trace"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Trace = null);

/// <summary>Connect's ConnectorStateInfo.</summary>
[GenerateSerializer, Alias("oc.ConnectorStateInfo")]
public sealed record ConnectorStateInfo(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("connector")] ConnectorState Connector,
    [property: JsonPropertyName("tasks")] List<TaskState> Tasks,
    [property: JsonPropertyName("type")] string Type);

/// <summary>Result of a create-or-update.</summary>
[GenerateSerializer, Alias("oc.PutConfigResult")]
public sealed record PutConfigResult(ConnectorInfo Info, bool Created);

/// <summary>Connect's TargetState; initial_state RUNNING maps to Started.</summary>
[GenerateSerializer, Alias("oc.TargetState")]
public enum TargetState { Started, Paused, Stopped }

/// <summary>User-visible states (Connect's AbstractStatus.State).</summary>
public static class States
{
    public const string Unassigned = "UNASSIGNED";
    public const string Running = "RUNNING";
    public const string Paused = "PAUSED";
    public const string Failed = "FAILED";
    public const string Restarting = "RESTARTING";
    public const string Stopped = "STOPPED";
}

/// <summary>Connect's ConnectorOffsets / ConnectorOffset. partition and offset are JSON objects whose values are
/// strings, longs, doubles, booleans or null; a null offset (in a request) removes the partition's offset. A null
/// partition only comes from a request, which then fails validation.</summary>
[GenerateSerializer, Alias("oc.ConnectorOffset")]
public sealed record ConnectorOffset(
    [property: JsonPropertyName("partition")] Dictionary<string, object?>? Partition,
    [property: JsonPropertyName("offset")] Dictionary<string, object?>? Offset);

[GenerateSerializer, Alias("oc.ConnectorOffsets")]
public sealed record ConnectorOffsets(
    [property: JsonPropertyName("offsets")] List<ConnectorOffset> Offsets);
