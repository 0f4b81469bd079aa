using Orleans;
using System.Text.Json.Serialization;

namespace OrleansConnect.Grains.Interfaces.Models;

/// <summary>One running task's Connect metrics as <c>GET /connectors/{name}/metrics</c> and the console show them.
/// "In" is source-record-poll (source) or sink-record-read (sink), "out" source-record-write or sink-record-send; rates
/// are per second over the last minute, as on /metrics. Averages are null until the task measured something.</summary>
[GenerateSerializer, Alias("oc.TaskMetricsInfo")]
public sealed record TaskMetricsInfo(
    [property: JsonPropertyName("id")] int Id,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("worker_id")] string WorkerId,
    [property: JsonPropertyName("records_in_total")] long RecordsInTotal,
    [property: JsonPropertyName("records_in_rate")] double RecordsInRate,
    [property: JsonPropertyName("records_out_total")] long RecordsOutTotal,
    [property: JsonPropertyName("records_out_rate")] double RecordsOutRate,
    [property: JsonPropertyName("consumer_lag")] long? ConsumerLag,
    [property: JsonPropertyName("total_record_errors")] long RecordErrors,
    [property: JsonPropertyName("total_records_skipped")] long RecordsSkipped,
    [property: JsonPropertyName("deadletterqueue_produce_requests")] long DeadLetterQueueRequests,
    [property: JsonPropertyName("batch_avg_time_ms")] double? BatchAvgTimeMs,
    [property: JsonPropertyName("offset_commit_avg_time_ms")] double? OffsetCommitAvgTimeMs,
    [property: JsonPropertyName("running_ratio")] double RunningRatio);

/// <summary>The metrics of a connector's running tasks (tasks without a running loop are left out).</summary>
[GenerateSerializer, Alias("oc.ConnectorMetricsInfo")]
public sealed record ConnectorMetricsInfo(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("tasks")] List<TaskMetricsInfo> Tasks);
