using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace OrleansConnect.Grains.Metrics;

/// <summary>Kafka Connect's worker, connector and task status metrics for this silo, under the names Strimzi's JMX
/// exporter rules give Kafka Connect's MBeans (kafka_connect_worker_*, kafka_connect_connector_*,
/// kafka_connect_connector_task_status), so Grafana dashboards and alerts written for Connect read them unchanged.
/// Gauges are observed at scrape time from what the grains on this silo register; labels are connector and task
/// names and states only, never records or keys. Counters are cumulative since the silo started, as Connect's are
/// since its worker started.</summary>
public sealed class ConnectMetrics : IDisposable
{
    public const string MeterName = "OrleansConnect.Connect";

    /// <summary>Connect's task states as Strimzi's rules write them (lower case).</summary>
    private static readonly string[] TaskStates = ["running", "paused", "failed", "unassigned", "restarting"];

    private readonly Meter _meter;
    private readonly ConcurrentDictionary<string, Func<ConnectorView>> _connectors = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Connector, int Task), Func<string>> _tasks = new();
    private readonly Counter<long> _connectorStartupAttempts;
    private readonly Counter<long> _connectorStartupSuccesses;
    private readonly Counter<long> _connectorStartupFailures;
    private readonly Counter<long> _taskStartupAttempts;
    private readonly Counter<long> _taskStartupSuccesses;
    private readonly Counter<long> _taskStartupFailures;
    private readonly Counter<long> _taskRestarts;
    private readonly Counter<long> _producerRecordErrors;
    private readonly ConcurrentDictionary<(string Connector, int Task), int> _restartAttempts = new();
    private readonly ConcurrentDictionary<TaskMetrics, byte> _taskMetrics = new();

    /// <summary>What a connector grain on this silo reports: Connect's status, class and type (source or sink).</summary>
    public readonly record struct ConnectorView(string State, string ConnectorClass, string Type);

    public ConnectMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _meter.CreateObservableGauge("kafka_connect_worker_connector_count", () => (long)_connectors.Count,
            description: "The number of connectors run in this worker.");
        _meter.CreateObservableGauge("kafka_connect_worker_task_count", () => (long)_tasks.Count,
            description: "The number of tasks run in this worker.");
        _connectorStartupAttempts = _meter.CreateCounter<long>("kafka_connect_worker_connector_startup_attempts",
            description: "The total number of connector startups that this worker has attempted.");
        _connectorStartupSuccesses = _meter.CreateCounter<long>("kafka_connect_worker_connector_startup_success",
            description: "The total number of connector starts that succeeded.");
        _connectorStartupFailures = _meter.CreateCounter<long>("kafka_connect_worker_connector_startup_failure",
            description: "The total number of connector starts that failed.");
        _taskStartupAttempts = _meter.CreateCounter<long>("kafka_connect_worker_task_startup_attempts",
            description: "The total number of task startups that this worker has attempted.");
        _taskStartupSuccesses = _meter.CreateCounter<long>("kafka_connect_worker_task_startup_success",
            description: "The total number of task starts that succeeded.");
        _taskStartupFailures = _meter.CreateCounter<long>("kafka_connect_worker_task_startup_failure",
            description: "The total number of task starts that failed.");
        _taskRestarts = _meter.CreateCounter<long>("orleansconnect_task_automatic_restarts",
            description: "Automatic restarts of FAILED tasks (beyond Connect, which never restarts a task by itself).");
        // Strimzi's name for the producer's record-error-total; clientid is the producer Connect would give the task
        // (connector-producer-<connector>-<task>), since the silo's shared producers carry no per-task name.
        _producerRecordErrors = _meter.CreateCounter<long>("kafka_producer_producer_metrics_record_error",
            description: "Records a source task's producer failed to write (delivery timeout, record too large, ...) and no tolerance skipped.");
        _meter.CreateObservableGauge("orleansconnect_task_restart_attempt", ObserveRestartAttempts,
            description: "The attempt count of a task's current run of automatic restarts (0 once it ran long enough).");

        foreach (var state in TaskStates)
        {
            var stateName = state;
            _meter.CreateObservableGauge($"kafka_connect_worker_connector_{stateName}_task_count", () => ObserveTaskCounts(stateName),
                description: $"The number of {stateName} tasks of the connector on this worker.");
        }
        _meter.CreateObservableGauge("kafka_connect_worker_connector_total_task_count", () => ObserveTaskCounts(null),
            description: "The number of tasks of the connector on this worker.");
        _meter.CreateObservableGauge("kafka_connect_connector_status", () => ObserveConnectors(v => ("status", v.State.ToLowerInvariant())),
            description: "The status of the connector (value 1, the status as a label).");
        _meter.CreateObservableGauge("kafka_connect_connector_connector_class", () => ObserveConnectors(v => ("connector_class", v.ConnectorClass)),
            description: "The name of the connector class (value 1, the class as a label).");
        _meter.CreateObservableGauge("kafka_connect_connector_connector_type", () => ObserveConnectors(v => ("connector_type", v.Type.ToLowerInvariant())),
            description: "The type of the connector, source or sink (value 1, the type as a label).");
        _meter.CreateObservableGauge("kafka_connect_connector_task_status", ObserveTaskStatus,
            description: "The status of the connector task (value 1, the status as a label).");

        // The task loops' own groups: totals as counters, the rest (and Connect's windowed rates) as gauges.
        _meter.CreateObservableCounter("kafka_connect_source_task_source_record_poll", () => ObserveTasks(t => t.IsSource, t => t.SourceRecordPoll),
            description: "Records produced/polled (before transformation) by this task.");
        _meter.CreateObservableCounter("kafka_connect_source_task_source_record_write", () => ObserveTasks(t => t.IsSource, t => t.SourceRecordWrite),
            description: "Records output from the transformations and written to Kafka by this task.");
        _meter.CreateObservableGauge("kafka_connect_source_task_source_record_active_count", () => ObserveTasks(t => t.IsSource, t => t.ActiveCount()),
            description: "Records polled by this task but not yet completely written to Kafka.");
        _meter.CreateObservableCounter("kafka_connect_sink_task_sink_record_read", () => ObserveTasks(t => !t.IsSource, t => t.SinkRecordRead),
            description: "Records read from Kafka by this task.");
        _meter.CreateObservableCounter("kafka_connect_sink_task_sink_record_send", () => ObserveTasks(t => !t.IsSource, t => t.SinkRecordSend),
            description: "Records output from the transformations and sent/put to this task.");
        _meter.CreateObservableGauge("kafka_connect_sink_task_partition_count", () => ObserveTasks(t => !t.IsSource, t => t.PartitionCount),
            description: "Topic partitions assigned to this task.");
        _meter.CreateObservableGauge("kafka_connect_sink_task_sink_record_active_count", () => ObserveTasks(t => !t.IsSource, t => t.ActiveCount()),
            description: "Records read from Kafka but not yet completely committed by this task.");
        _meter.CreateObservableCounter("kafka_connect_sink_task_offset_commit_completion", () => ObserveTasks(t => !t.IsSource, t => t.OffsetCommitCompletion),
            description: "Offset commits completed successfully.");
        _meter.CreateObservableCounter("kafka_connect_sink_task_offset_commit_skip", () => ObserveTasks(t => !t.IsSource, t => t.OffsetCommitSkip),
            description: "Offset commits skipped (refused during a rebalance; retried at the next interval).");
        CreateWindowedInstruments();
        _meter.CreateObservableGauge("kafka_connect_connector_task_offset_commit_success_percentage", () => ObserveCommitShare(success: true),
            description: "The share of this task's offset commits that succeeded (0 to 1).");
        _meter.CreateObservableGauge("kafka_connect_connector_task_offset_commit_failure_percentage", () => ObserveCommitShare(success: false),
            description: "The share of this task's offset commits that failed (0 to 1).");
        CreateErrorInstruments();
        // Strimzi's rule for kafka.consumer<type=consumer-fetch-manager-metrics, client-id, topic, partition>records-lag;
        // connector and task say which task's consumer it is.
        _meter.CreateObservableGauge("kafka_consumer_fetch_manager_records_lag", ObserveConsumerLag,
            description: "Records the sink task's consumer is behind the log end of the partition (log end less position).");
    }

    private IEnumerable<Measurement<long>> ObserveConsumerLag()
    {
        foreach (var t in _taskMetrics.Keys)
        {
            if (t.IsSource) continue;
            foreach (var ((topic, partition), lag) in t.ConsumerLag)
                yield return new Measurement<long>(lag, Tag("clientid", t.ConsumerClientId), Tag("topic", topic), Tag("partition", partition),
                    Tag("connector", t.Connector), Tag("task", t.Task));
        }
    }

    /// <summary>Connect's rates, averages, maxima and ratios: over the last 30 to 60 s (two 30 s samples), read from each
    /// task's windows at scrape time.</summary>
    private void CreateWindowedInstruments()
    {
        (string Name, Func<TaskMetrics, bool> Which, Func<TaskMetrics, double> Value, string Description)[] gauges =
        [
            ("kafka_connect_connector_task_running_ratio", static _ => true, static t => t.RunningRatio,
                "The share of time (0 to 1) the task spent RUNNING."),
            ("kafka_connect_connector_task_pause_ratio", static _ => true, static t => t.PauseRatio,
                "The share of time (0 to 1) the task spent PAUSED."),
            ("kafka_connect_connector_task_offset_commit_avg_time_ms", static _ => true, static t => t.OffsetCommitTime.Avg,
                "The average time in milliseconds taken by this task to commit offsets."),
            ("kafka_connect_connector_task_offset_commit_max_time_ms", static _ => true, static t => t.OffsetCommitTime.Max,
                "The maximum time in milliseconds taken by this task to commit offsets."),
            ("kafka_connect_connector_task_batch_size_avg", static _ => true, static t => t.BatchSize.Avg,
                "The average number of records in the batches the task processed."),
            ("kafka_connect_connector_task_batch_size_max", static _ => true, static t => t.BatchSize.Max,
                "The number of records in the largest batch the task processed."),
            ("kafka_connect_source_task_source_record_poll_rate", static t => t.IsSource, static t => t.SourceRecordPollRate,
                "The average per-second number of records produced/polled (before transformation) by this task."),
            ("kafka_connect_source_task_source_record_write_rate", static t => t.IsSource, static t => t.SourceRecordWriteRate,
                "The average per-second number of records written to Kafka by this task."),
            ("kafka_connect_source_task_poll_batch_avg_time_ms", static t => t.IsSource, static t => t.BatchTime.Avg,
                "The average time in milliseconds taken by this task to poll for a batch of source records."),
            ("kafka_connect_source_task_poll_batch_max_time_ms", static t => t.IsSource, static t => t.BatchTime.Max,
                "The maximum time in milliseconds taken by this task to poll for a batch of source records."),
            ("kafka_connect_sink_task_sink_record_read_rate", static t => !t.IsSource, static t => t.SinkRecordReadRate,
                "The average per-second number of records read from Kafka by this task."),
            ("kafka_connect_sink_task_sink_record_send_rate", static t => !t.IsSource, static t => t.SinkRecordSendRate,
                "The average per-second number of records sent/put to this task."),
            ("kafka_connect_sink_task_put_batch_avg_time_ms", static t => !t.IsSource, static t => t.BatchTime.Avg,
                "The average time taken by this task to put a batch of sink records."),
            ("kafka_connect_sink_task_put_batch_max_time_ms", static t => !t.IsSource, static t => t.BatchTime.Max,
                "The maximum time taken by this task to put a batch of sink records."),
            ("kafka_connect_sink_task_offset_commit_completion_rate", static t => !t.IsSource, static t => t.OffsetCommitCompletionRate,
                "The average per-second number of offset commits that completed successfully."),
            ("kafka_connect_sink_task_offset_commit_skip_rate", static t => !t.IsSource, static t => t.OffsetCommitSkipRate,
                "The average per-second number of offset commits that were skipped."),
        ];
        foreach (var (name, which, value, description) in gauges)
        {
            var (select, read) = (which, value);
            _meter.CreateObservableGauge(name, () => _taskMetrics.Keys.Where(select)
                .Select(t => new Measurement<double>(read(t), Tag("connector", t.Connector), Tag("task", t.Task))), description: description);
        }
    }

    private void CreateErrorInstruments()
    {
        // Strimzi's rules map task-error-metrics attributes to gauges (their names do not end in -total).
        (string Name, Func<TaskMetrics, long> Value, string Description)[] errors =
        [
            ("kafka_connect_task_error_total_record_errors", t => t.RecordErrors, "Records whose processing failed (after retries)."),
            ("kafka_connect_task_error_total_record_failures", t => t.RecordFailures, "Failed attempts of record processing operations."),
            ("kafka_connect_task_error_total_records_skipped", t => t.RecordsSkipped, "Records skipped because their failure was tolerated."),
            ("kafka_connect_task_error_total_retries", t => t.Retries, "Operations retried."),
            ("kafka_connect_task_error_total_errors_logged", t => t.ErrorsLogged, "Errors logged (errors.log.enable)."),
            ("kafka_connect_task_error_deadletterqueue_produce_requests", t => t.DeadLetterQueueRequests, "Attempted writes to the dead letter queue."),
            ("kafka_connect_task_error_deadletterqueue_produce_failures", t => t.DeadLetterQueueFailures, "Failed writes to the dead letter queue."),
            ("kafka_connect_task_error_last_error_timestamp", t => t.LastErrorTimestamp, "Epoch milliseconds of the last error (0: none)."),
        ];
        foreach (var (name, value, description) in errors)
        {
            var read = value;
            _meter.CreateObservableGauge(name, () => ObserveTasks(static _ => true, read), description: description);
        }
    }

    /// <summary>A task loop starts: its counts are reported until the returned registration is disposed.</summary>
    public IDisposable TrackTaskMetrics(TaskMetrics task)
    {
        _taskMetrics[task] = 0;
        return new Untrack(() => _taskMetrics.TryRemove(task, out _));
    }

    private IEnumerable<Measurement<long>> ObserveTasks(Func<TaskMetrics, bool> which, Func<TaskMetrics, long> value) =>
        _taskMetrics.Keys.Where(which).Select(t => new Measurement<long>(value(t), Tag("connector", t.Connector), Tag("task", t.Task)));

    private IEnumerable<Measurement<double>> ObserveCommitShare(bool success)
    {
        foreach (var t in _taskMetrics.Keys)
        {
            var done = t.OffsetCommitCompletion;
            var failed = t.OffsetCommitFailure;
            var all = done + failed;
            yield return new Measurement<double>(all == 0 ? 0 : (double)(success ? done : failed) / all, Tag("connector", t.Connector), Tag("task", t.Task));
        }
    }

    /// <summary>A connector grain activated here; <paramref name="view"/> is read at each scrape.</summary>
    public IDisposable TrackConnector(string connector, Func<ConnectorView> view)
    {
        _connectors[connector] = view;
        return new Untrack(() => _connectors.TryRemove(KeyValuePair.Create(connector, view)));
    }

    /// <summary>A task runs here; <paramref name="state"/> gives its Connect state at each scrape.</summary>
    public IDisposable TrackTask(string connector, int task, Func<string> state)
    {
        var key = (connector, task);
        _tasks[key] = state;
        return new Untrack(() => _tasks.TryRemove(KeyValuePair.Create(key, state)));
    }

    public void ConnectorStartup(bool succeeded)
    {
        _connectorStartupAttempts.Add(1);
        (succeeded ? _connectorStartupSuccesses : _connectorStartupFailures).Add(1);
    }

    public void TaskStartupAttempt() => _taskStartupAttempts.Add(1);

    public void TaskStartupSuccess() => _taskStartupSuccesses.Add(1);

    public void TaskStartupFailure() => _taskStartupFailures.Add(1);

    /// <summary>An automatic restart of a FAILED task, the <paramref name="attempt"/>-th in its current run.</summary>
    public void TaskRestarted(string connector, int task, int attempt)
    {
        _taskRestarts.Add(1, Tag("connector", connector), Tag("task", task));
        _restartAttempts[(connector, task)] = attempt;
    }

    /// <summary>A record the task's producer failed to write (cumulative since the silo started, across restarts).</summary>
    public void ProducerRecordError(string connector, int task) =>
        _producerRecordErrors.Add(1, Tag("clientid", $"connector-producer-{connector}-{task}"), Tag("connector", connector), Tag("task", task));

    /// <summary>Tasks from <paramref name="fromTask"/> on are gone (stopped, reduced or deleted): their restart-attempt
    /// series stop.</summary>
    public void ForgetRestarts(string connector, int fromTask)
    {
        foreach (var key in _restartAttempts.Keys)
            if (key.Connector == connector && key.Task >= fromTask) _restartAttempts.TryRemove(key, out _);
    }

    private IEnumerable<Measurement<long>> ObserveTaskCounts(string? state)
    {
        var byConnector = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var connector in _connectors.Keys) byConnector[connector] = 0;
        foreach (var ((connector, _), current) in _tasks)
        {
            byConnector.TryAdd(connector, 0);
            if (state is null || string.Equals(current(), state, StringComparison.OrdinalIgnoreCase)) byConnector[connector]++;
        }
        return byConnector.Select(kv => new Measurement<long>(kv.Value, Tag("connector", kv.Key)));
    }

    private IEnumerable<Measurement<long>> ObserveConnectors(Func<ConnectorView, (string Label, string Value)> label)
    {
        foreach (var (connector, view) in _connectors)
        {
            var (name, value) = label(view());
            yield return new Measurement<long>(1, Tag("connector", connector), Tag(name, value));
        }
    }

    private IEnumerable<Measurement<long>> ObserveTaskStatus() =>
        _tasks.Select(kv => new Measurement<long>(1, Tag("connector", kv.Key.Connector), Tag("task", kv.Key.Task),
            Tag("status", kv.Value().ToLowerInvariant())));

    private IEnumerable<Measurement<long>> ObserveRestartAttempts() =>
        _restartAttempts.Select(kv => new Measurement<long>(kv.Value, Tag("connector", kv.Key.Connector), Tag("task", kv.Key.Task)));

    private static KeyValuePair<string, object?> Tag(string key, object? value) => new(key, value);

    public void Dispose() => _meter.Dispose();

    private sealed class Untrack(Action remove) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) remove();
        }
    }
}
