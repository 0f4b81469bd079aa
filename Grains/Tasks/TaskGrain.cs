using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Placement;
using Orleans.Runtime.Placement;
using OrleansConnect.Connect.Connector;
using OrleansConnect.Connect.Sink;
using OrleansConnect.Connect.Source;
using OrleansConnect.Grains.Config;
using OrleansConnect.Grains.Interfaces;
using OrleansConnect.Grains.Interfaces.Models;
using OrleansConnect.Grains.Worker;

namespace OrleansConnect.Grains.Tasks;

/// <summary>One per task (key "&lt;connector&gt;-&lt;task&gt;"). Runs the task's loop on the silo where it is
/// activated; activation with a stored assignment starts it, so re-activating elsewhere resumes the task. Placed on the
/// silo with the fewest tasks (<see cref="Cluster.TaskPlacement"/>), moved to a joining silo one at a time by the
/// <see cref="Cluster.TaskRebalancer"/> (a clean stop and commit here, a resume there), and kept alive while its loop
/// runs outside turns. In a cluster every loop commits only while its silo's <see cref="Cluster.SiloFence"/> confirms the
/// silo is alive, so a replaced one never commits again; one silo alone has nobody to be replaced by, and checks nothing.
/// An activation reads its state once and writes it only when its assignment changes: an idle task costs no storage.</summary>
[Cluster.TaskPlacement]
public sealed class TaskGrain(
    [PersistentState(TaskGrain.StateName)] IPersistentState<TaskGrainState> state,
    ConnectWorker worker,
    Cluster.LocalTasks localTasks,
    Metrics.ConnectMetrics metrics,
    Security.ConnectorSecrets secrets,
    ILoggerFactory loggerFactory) : Grain, ITaskGrain
{
    public const string StateName = "task";

    private readonly ILogger _logger = loggerFactory.CreateLogger<TaskGrain>();
    private WorkerTask? _runner;
    private string? _startFailure;
    private Cluster.SiloFence? _fence;
    private CancellationTokenRegistration _stopWhenFenced;
    private string? _waitingForSlot;
    private bool _holdsSlot;
    private bool _slotIsSink;
    private IDisposable? _tracked;
    private IDisposable? _trackedLoop;

    private ConnectorTaskId? _id;
    private ConnectorTaskId Id => _id ??= ConnectorTaskId.Parse(this.GetPrimaryKeyString());

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var connector = Id.Connector;
        localTasks.Add(this.GetPrimaryKeyString(), GrainContext.GrainReference.AsReference<ITaskGrain>(),
            () => new TaskStatusView(connector, StatusNow()));
        _fence = worker.Config.IsClustered ? ServiceProvider.GetRequiredService<Cluster.SiloFence>() : null;
        if (state.State.Assignment is not { } assignment) return;
        await worker.ApiStarted.WaitAsync(cancellationToken);
        await StartRunnerAsync(assignment);
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        localTasks.Remove(this.GetPrimaryKeyString());
        await StopRunnerAsync();
    }

    public async Task<TaskReport> Assign(TaskAssignment assignment)
    {
        var topics = ActiveTopics();
        var current = state.State.Assignment;
        if (current is not null && current.Generation == assignment.Generation && (_runner is not null || _startFailure is not null))
        {
            if (current.TargetState != assignment.TargetState) await SetTargetState(assignment.TargetState);
            return new TaskReport(StatusNow(), topics);
        }
        await StopRunnerAsync();
        state.State.Assignment = assignment;
        await state.WriteStateAsync();
        await StartRunnerAsync(assignment);
        return new TaskReport(StatusNow(), topics);
    }

    public async Task SetTargetState(TargetState targetState)
    {
        if (state.State.Assignment is not { } assignment) return;
        state.State.Assignment = assignment with { TargetState = targetState };
        await state.WriteStateAsync();
        _runner?.SetTargetState(targetState);
    }

    public async Task Unassign()
    {
        await StopRunnerAsync();
        if (state.RecordExists) await state.ClearStateAsync();
        state.State.Assignment = null;
        DelayDeactivation(TimeSpan.Zero);
        DeactivateOnIdle();
    }

    public async Task Restart()
    {
        if (state.State.Assignment is not { } assignment) return;
        await StopRunnerAsync();
        await StartRunnerAsync(assignment);
    }

    public Task<TaskState> GetStatus() => Task.FromResult(StatusNow());

    /// <summary>The task's Connect status. Also read from outside the grain's turns (a silo's status listing, the
    /// metrics scrape), so it reads each field once and never the grain state.</summary>
    private TaskState StatusNow()
    {
        var id = Id.Task;
        if (Volatile.Read(ref _startFailure) is { } failure) return new TaskState(id, States.Failed, worker.WorkerId, failure);
        if (Volatile.Read(ref _waitingForSlot) is { } waiting) return new TaskState(id, States.Unassigned, worker.WorkerId, waiting);
        if (Volatile.Read(ref _runner) is not { } runner) return new TaskState(id, States.Unassigned, worker.WorkerId);
        var runnerState = runner.State;
        return new TaskState(id, runnerState, worker.WorkerId, runnerState == States.Failed ? runner.Trace : null);
    }

    public Task<TaskMetricsInfo?> GetMetrics()
    {
        if (_runner is not { Metrics: var m } runner) return Task.FromResult<TaskMetricsInfo?>(null);
        static double? Known(double value) => double.IsNaN(value) ? null : value;
        return Task.FromResult<TaskMetricsInfo?>(new TaskMetricsInfo(
            Id.Task, runner.State, worker.WorkerId,
            m.IsSource ? m.SourceRecordPoll : m.SinkRecordRead,
            m.IsSource ? m.SourceRecordPollRate : m.SinkRecordReadRate,
            m.IsSource ? m.SourceRecordWrite : m.SinkRecordSend,
            m.IsSource ? m.SourceRecordWriteRate : m.SinkRecordSendRate,
            m.IsSource ? null : m.ConsumerLag.Values.Sum(),
            m.RecordErrors, m.RecordsSkipped, m.DeadLetterQueueRequests,
            Known(m.BatchTime.Avg), Known(m.OffsetCommitTime.Avg), m.RunningRatio));
    }

    public Task<List<string>> GetActiveTopics() => Task.FromResult(ActiveTopics());

    private List<string> ActiveTopics() => _runner switch
    {
        WorkerSourceTask source => source.ActiveTopics.ToList(),
        WorkerSinkTask sink => sink.ActiveTopics.ToList(),
        _ => [],
    };

    public Task ResetActiveTopics()
    {
        switch (_runner)
        {
            case WorkerSourceTask source: source.ResetActiveTopics(); break;
            case WorkerSinkTask sink: sink.ResetActiveTopics(); break;
        }
        return Task.CompletedTask;
    }

    private async Task StartRunnerAsync(TaskAssignment assignment)
    {
        var id = Id;
        _startFailure = null;
        _waitingForSlot = null;
        // The task's Connect state (as GET …/status shows it) at each scrape, until the runner stops.
        _tracked ??= metrics.TrackTask(id.Connector, id.Task, () => StatusNow().State);
        // The budget weighs a sink task (its own consumer) more than a source task (a shared producer).
        var isSink = worker.Plugins.FindConnector(assignment.ConnectorConfig.GetValueOrDefault(ConnectorConfig.ConnectorClass, "")) is
            { Type: Plugins.PluginType.Sink };
        if (!worker.TaskSlots.TryTake(isSink))
        {
            // Over this silo's budget: stay UNASSIGNED and say why; the connector's reconcile tries again.
            _waitingForSlot = $"Not started: this silo already runs {worker.TaskSlots.Used} tasks, its {worker.TaskSlots.Describe()}. " +
                "The task starts when a slot frees up here, or on a silo with free slots.";
            _logger.LogWarning("Task {Connector}-{Task} not started: the task budget of this silo is used up ({Budget})",
                id.Connector, id.Task, worker.TaskSlots.Describe());
            return;
        }
        _holdsSlot = true;
        _slotIsSink = isSink;
        metrics.TaskStartupAttempt();
        try
        {
            // Secrets are decrypted and ${provider:path:key} references resolved here, just before the task object is
            // created: the resolved values live only in the running task, never in state or in an answer.
            var owner = $"Task {id.Connector}-{id.Task}";
            var connectorConfig = await secrets.ResolveAsync(secrets.Reveal(assignment.ConnectorConfig), owner, CancellationToken.None);
            var taskConfig = await secrets.ResolveAsync(secrets.Reveal(assignment.TaskConfig), owner, CancellationToken.None);
            var className = connectorConfig[ConnectorConfig.ConnectorClass];
            // file.allowed.paths also holds for a file named through a reference, or stored before the policy was set.
            if (secrets.FileStreamRefusal(className, taskConfig.ToDictionary(kv => kv.Key, kv => (string?)kv.Value)) is { } refusal)
                throw new Connect.Errors.ConnectException(refusal);
            var desc = worker.Plugins.FindConnector(className)
                ?? throw new Connect.Errors.ConnectException($"Failed to find any class that implements Connector and which name matches {className}");
            var connector = worker.Plugins.Instantiate<Connector>(desc);
            var task = Activator.CreateInstance(connector.TaskClass)
                ?? throw new Connect.Errors.ConnectException($"Could not create task {connector.TaskClass}");
            var logger = loggerFactory.CreateLogger(task is SourceTask ? typeof(WorkerSourceTask) : typeof(WorkerSinkTask));
            WorkerTask runner = task switch
            {
                SourceTask source => new WorkerSourceTask(id, source, connectorConfig, taskConfig, worker, logger),
                SinkTask sink => NewSinkTask(id, sink, connectorConfig, taskConfig, logger),
                _ => throw new Connect.Errors.ConnectException($"{connector.TaskClass} is neither a SourceTask nor a SinkTask"),
            };
            var connectorGrain = GrainFactory.GetGrain<IConnectorGrain>(id.Connector);
            var fence = _fence;
            if (fence is not null)
            {
                runner.Fence = fence;
                // A silo that learns it was declared dead stops its loops at once (their final commits are refused).
                _stopWhenFenced = fence.Fenced.Register(static r => _ = ((WorkerTask)r!).StopAsync(), runner);
            }
            runner.OnFailed = async trace =>
            {
                // A superseded activation's loop (a silo that woke after being replaced) fails as it is fenced out;
                // reporting that would have the connector restart the task that now runs fine elsewhere.
                if (fence is null || await fence.IsCurrentAsync(CancellationToken.None))
                    await connectorGrain.OnTaskFailed(id.Task, trace);
                else
                    _logger.LogInformation("Task {Connector}-{Task} failed after a newer activation took over; not reporting it", id.Connector, id.Task);
            };
            runner.Metrics = new Metrics.TaskMetrics(id.Connector, id.Task)
            {
                IsSource = runner is WorkerSourceTask,
                ActiveCount = runner.ActiveRecordCount,
                OnProducerRecordError = () => metrics.ProducerRecordError(id.Connector, id.Task),
            };
            runner.OnStartup = started => { if (started) metrics.TaskStartupSuccess(); else metrics.TaskStartupFailure(); };
            _trackedLoop = metrics.TrackTaskMetrics(runner.Metrics);
            _runner = runner;
            // The loop runs outside turns: keep the activation (and so the loop) until it is unassigned.
            DelayDeactivation(TimeSpan.MaxValue);
            runner.Start(assignment.TargetState);
        }
        catch (Exception e)
        {
            _runner = null;
            ReleaseSlot();
            _startFailure = e.ToString();
            metrics.TaskStartupFailure();
            _logger.LogError(e, "Task {Connector}-{Task} could not be created", id.Connector, id.Task);
            // Not awaited: the connector grain may be the caller waiting on this turn.
            _ = GrainFactory.GetGrain<IConnectorGrain>(id.Connector).OnTaskFailed(id.Task, _startFailure).ContinueWith(
                t => _logger.LogWarning(t.Exception, "Could not report the failure of {Connector}-{Task}", id.Connector, id.Task),
                TaskContinuationOptions.OnlyOnFaulted);
        }
    }

    public Task MoveTo(SiloAddress silo)
    {
        _logger.LogInformation("Task {Connector}-{Task} moves to silo {Silo}", Id.Connector, Id.Task, silo);
        RequestContext.Set(IPlacementDirector.PlacementHintKey, silo);
        MigrateOnIdle();
        return Task.CompletedTask;
    }

    private WorkerSinkTask NewSinkTask(ConnectorTaskId id, SinkTask sink, Dictionary<string, string> connectorConfig,
        Dictionary<string, string> taskConfig, ILogger logger)
    {
        worker.RegisterConsumerGroup(WorkerSinkTask.GroupIdOf(id.Connector, connectorConfig));
        return new WorkerSinkTask(id, sink, connectorConfig, taskConfig, worker, logger);
    }

    private async Task StopRunnerAsync()
    {
        var runner = _runner;
        _runner = null;
        _startFailure = null;
        _waitingForSlot = null;
        _tracked?.Dispose();
        _tracked = null;
        _trackedLoop?.Dispose();
        _trackedLoop = null;
        await _stopWhenFenced.DisposeAsync();
        _stopWhenFenced = default;
        if (runner is null) return;
        runner.OnFailed = null;
        try { await runner.DisposeAsync(); }
        finally { ReleaseSlot(); }
    }

    private void ReleaseSlot()
    {
        if (!_holdsSlot) return;
        _holdsSlot = false;
        worker.TaskSlots.Release(_slotIsSink);
    }
}
