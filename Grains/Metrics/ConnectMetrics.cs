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
    private readonly Counter<long> _taskStartupFailures;
    private readonly Counter<long> _taskRestarts;
    private readonly ConcurrentDictionary<(string Connector, int Task), int> _restartAttempts = new();

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
        _taskStartupFailures = _meter.CreateCounter<long>("kafka_connect_worker_task_startup_failure",
            description: "The total number of task starts that failed.");
        _taskRestarts = _meter.CreateCounter<long>("orleansconnect_task_automatic_restarts",
            description: "Automatic restarts of FAILED tasks (beyond Connect, which never restarts a task by itself).");
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

    public void TaskStartupFailure() => _taskStartupFailures.Add(1);

    /// <summary>An automatic restart of a FAILED task, the <paramref name="attempt"/>-th in its current run.</summary>
    public void TaskRestarted(string connector, int task, int attempt)
    {
        _taskRestarts.Add(1, Tag("connector", connector), Tag("task", task));
        _restartAttempts[(connector, task)] = attempt;
    }

    /// <summary>The connector is gone (deleted or its tasks reduced): its per-task series stop.</summary>
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
