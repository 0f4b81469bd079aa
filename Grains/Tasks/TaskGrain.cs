using Microsoft.Extensions.Logging;
using OrleansConnect.Connect.Connector;
using OrleansConnect.Connect.Sink;
using OrleansConnect.Connect.Source;
using OrleansConnect.Grains.Config;
using OrleansConnect.Grains.Interfaces;
using OrleansConnect.Grains.Interfaces.Models;
using OrleansConnect.Grains.Worker;
using OrleansConnect.Runtime;

namespace OrleansConnect.Grains.Tasks;

/// <summary>One per task (key "&lt;connector&gt;-&lt;task&gt;"). Runs the task's loop on the silo where it is
/// activated; activation with a stored assignment starts it, so re-activating elsewhere resumes the task.
/// Rebalanceable: when a silo joins, tasks move to it one at a time (a clean stop and commit here, a resume there).</summary>
[Rebalanceable]
public sealed class TaskGrain(
    [PersistentState("task")] IPersistentState<TaskGrainState> state,
    ConnectWorker worker,
    ILoggerFactory loggerFactory) : Grain, ITaskGrain
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<TaskGrain>();
    private WorkerTask? _runner;
    private string? _startFailure;
    private IDisposable? _fenceTimer;

    private ConnectorTaskId Id => ConnectorTaskId.Parse(GetPrimaryKeyString());

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Fencing: a silo paused or cut off past the death timeout may still run this loop after a replacement
        // started elsewhere. Every probe period the activation checks it is still the registered one (and that
        // its silo holds the membership lease) and stops its loop at once when it is not. The remaining window is
        // at most one probe period; every commit (the final one of a stopping loop too) checks the same fence first.
        var period = TimeSpan.FromMilliseconds(Math.Max(100, worker.Config.GetLong(WorkerConfig.MembershipProbePeriod)));
        _fenceTimer = RegisterTimer(CheckFenceAsync, period, period);
        if (state.State.Assignment is { } assignment) StartRunner(assignment);
        return Task.CompletedTask;
    }

    private async Task CheckFenceAsync(CancellationToken cancellationToken)
    {
        if (_runner is null) return;
        bool current;
        try { current = await GrainContext.IsCurrentActivationAsync(cancellationToken); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The directory could not be read: the membership lease decides (the runtime stops everything when it lapses).
            _logger.LogDebug(e, "Could not check the activation of {TaskId}", GetPrimaryKeyString());
            return;
        }
        if (current) return;
        _logger.LogWarning("Task {TaskId} was superseded by a newer activation (epoch {Epoch} is stale); stopping its loop",
            GetPrimaryKeyString(), ActivationEpoch);
        _fenceTimer?.Dispose();
        _fenceTimer = null;
        await StopRunnerAsync();
        DelayDeactivation(TimeSpan.Zero);
        DeactivateOnIdle();
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => await StopRunnerAsync();

    public async Task Assign(TaskAssignment assignment)
    {
        var current = state.State.Assignment;
        if (current is not null && current.Generation == assignment.Generation && (_runner is not null || _startFailure is not null))
        {
            if (current.TargetState != assignment.TargetState) await SetTargetState(assignment.TargetState);
            return;
        }
        await StopRunnerAsync();
        state.State.Assignment = assignment;
        await state.WriteStateAsync();
        StartRunner(assignment);
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
        DeactivateOnIdle();
    }

    public async Task Restart()
    {
        if (state.State.Assignment is not { } assignment) return;
        await StopRunnerAsync();
        StartRunner(assignment);
    }

    public Task<TaskState> GetStatus()
    {
        var id = Id.Task;
        if (_startFailure is not null) return Task.FromResult(new TaskState(id, States.Failed, worker.WorkerId, _startFailure));
        if (_runner is null) return Task.FromResult(new TaskState(id, States.Unassigned, worker.WorkerId));
        var runnerState = _runner.State;
        return Task.FromResult(new TaskState(id, runnerState, worker.WorkerId, runnerState == States.Failed ? _runner.Trace : null));
    }

    public Task<List<string>> GetActiveTopics() => Task.FromResult(_runner switch
    {
        WorkerSourceTask source => source.ActiveTopics.ToList(),
        WorkerSinkTask sink => sink.ActiveTopics.ToList(),
        _ => [],
    });

    public Task ResetActiveTopics()
    {
        switch (_runner)
        {
            case WorkerSourceTask source: source.ResetActiveTopics(); break;
            case WorkerSinkTask sink: sink.ResetActiveTopics(); break;
        }
        return Task.CompletedTask;
    }

    private void StartRunner(TaskAssignment assignment)
    {
        var id = Id;
        _startFailure = null;
        try
        {
            var className = assignment.ConnectorConfig[ConnectorConfig.ConnectorClass];
            var desc = worker.Plugins.FindConnector(className)
                ?? throw new Connect.Errors.ConnectException($"Failed to find any class that implements Connector and which name matches {className}");
            var connector = worker.Plugins.Instantiate<Connector>(desc);
            var task = Activator.CreateInstance(connector.TaskClass)
                ?? throw new Connect.Errors.ConnectException($"Could not create task {connector.TaskClass}");
            var logger = loggerFactory.CreateLogger(task is SourceTask ? typeof(WorkerSourceTask) : typeof(WorkerSinkTask));
            WorkerTask runner = task switch
            {
                SourceTask source => new WorkerSourceTask(id, source, assignment.ConnectorConfig, assignment.TaskConfig, worker, logger),
                SinkTask sink => NewSinkTask(id, sink, assignment, logger),
                _ => throw new Connect.Errors.ConnectException($"{connector.TaskClass} is neither a SourceTask nor a SinkTask"),
            };
            var connectorGrain = GrainFactory.GetGrain<IConnectorGrain>(id.Connector);
            var context = GrainContext;
            runner.Fence = ct => context.IsCurrentActivationAsync(ct);
            runner.OnFailed = async trace =>
            {
                // A superseded activation's loop (a silo that woke after being replaced) fails as it is fenced out;
                // reporting that would have the connector restart the task that now runs fine elsewhere.
                if (await context.IsCurrentActivationAsync(CancellationToken.None))
                    await connectorGrain.OnTaskFailed(id.Task, trace);
                else
                    _logger.LogInformation("Task {Connector}-{Task} failed after a newer activation took over; not reporting it", id.Connector, id.Task);
            };
            _runner = runner;
            // The loop runs outside turns: keep the activation (and so the loop) until it is unassigned.
            DelayDeactivation(TimeSpan.MaxValue);
            runner.Start(assignment.TargetState);
        }
        catch (Exception e)
        {
            _runner = null;
            _startFailure = e.ToString();
            _logger.LogError(e, "Task {Connector}-{Task} could not be created", id.Connector, id.Task);
            // Not awaited: the connector grain may be the caller waiting on this turn.
            _ = GrainFactory.GetGrain<IConnectorGrain>(id.Connector).OnTaskFailed(id.Task, _startFailure).ContinueWith(
                t => _logger.LogWarning(t.Exception, "Could not report the failure of {Connector}-{Task}", id.Connector, id.Task),
                TaskContinuationOptions.OnlyOnFaulted);
        }
    }

    private WorkerSinkTask NewSinkTask(ConnectorTaskId id, SinkTask sink, TaskAssignment assignment, ILogger logger)
    {
        worker.RegisterConsumerGroup(WorkerSinkTask.GroupIdOf(id.Connector, assignment.ConnectorConfig));
        return new WorkerSinkTask(id, sink, assignment.ConnectorConfig, assignment.TaskConfig, worker, logger);
    }

    private async Task StopRunnerAsync()
    {
        var runner = _runner;
        _runner = null;
        _startFailure = null;
        if (runner is null) return;
        runner.OnFailed = null;
        await runner.DisposeAsync();
    }
}
