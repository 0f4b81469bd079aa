using Microsoft.Extensions.Logging;
using OrleansConnect.Grains.Interfaces.Models;

namespace OrleansConnect.Grains.Worker;

/// <summary>A running task: its loop runs outside any grain turn; the TaskGrain starts, pauses and stops it and
/// reads its state. A loop that throws leaves the task FAILED with the trace and tells <see cref="OnFailed"/>.</summary>
public abstract class WorkerTask : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private TaskCompletionSource _resumed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile string _state = States.Unassigned;
    private volatile string? _trace;
    private volatile bool _paused;
    private Task? _loop;

    protected WorkerTask(ConnectorTaskId id, ConnectWorker worker, ILogger logger)
    {
        Id = id;
        Worker = worker;
        Logger = logger;
    }

    public ConnectorTaskId Id { get; }
    protected ConnectWorker Worker { get; }
    protected ILogger Logger { get; }

    public string State => _state;
    public string? Trace => _trace;

    /// <summary>Answers whether this task may still commit: false once a newer activation of the task runs
    /// elsewhere. Checked before every commit, including the final one of a stopping loop.</summary>
    public Func<CancellationToken, Task<bool>>? Fence { get; set; }

    /// <summary>Connect's task metrics of this loop (set by the task grain before Start).</summary>
    public Metrics.TaskMetrics Metrics { get; set; } = Grains.Metrics.TaskMetrics.None;

    /// <summary>Records this loop holds that are not yet done (source- and sink-record-active-count), read by the
    /// metrics scrape from outside the loop.</summary>
    public abstract long ActiveRecordCount();

    /// <summary>True when the fence says a newer activation took over (its commits must not happen).</summary>
    protected async Task<bool> IsFencedAsync(CancellationToken cancellationToken)
    {
        if (Fence is not { } fence) return false;
        try
        {
            if (await fence(cancellationToken)) return false;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Unknown: don't commit; what is not committed is redone, never lost.
            Logger.LogWarning(e, "Task {Connector}-{Task} could not check it is still the current activation; skipping this commit", Id.Connector, Id.Task);
            return true;
        }
        Logger.LogWarning("Task {Connector}-{Task} was superseded by a newer activation; not committing", Id.Connector, Id.Task);
        return true;
    }

    /// <summary>Called once the task started (true) or when it failed before it did (false): Connect's task startup
    /// success and failure counts.</summary>
    public Action<bool>? OnStartup { get; set; }

    private bool _started;

    /// <summary>Called (outside any grain turn) when the loop failed.</summary>
    public Func<string, Task>? OnFailed { get; set; }

    protected CancellationToken StopToken => _stop.Token;
    protected bool IsPaused => _paused;
    protected bool IsStopping => _stop.IsCancellationRequested;

    public void Start(TargetState target)
    {
        _paused = target == TargetState.Paused;
        if (!_paused) _resumed.TrySetResult();
        _loop = Task.Run(RunAsync);
    }

    public void SetTargetState(TargetState target)
    {
        lock (_gate)
        {
            var pause = target == TargetState.Paused;
            if (pause == _paused) return;
            _paused = pause;
            if (pause) _resumed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            else _resumed.TrySetResult();
            if (_state is States.Running or States.Paused) SetState(pause ? States.Paused : States.Running);
        }
        Logger.LogInformation("Task {Connector}-{Task} is now {State}", Id.Connector, Id.Task, _state);
    }

    /// <summary>Waits while paused; returns false when the task is stopping.</summary>
    protected async Task<bool> WaitWhilePausedAsync()
    {
        Task resumed;
        lock (_gate) resumed = _resumed.Task;
        if (!_paused) return !IsStopping;
        try { await resumed.WaitAsync(StopToken); }
        catch (OperationCanceledException) { return false; }
        return !IsStopping;
    }

    protected void MarkRunning()
    {
        lock (_gate) SetState(_paused ? States.Paused : States.Running);
        _started = true;
        OnStartup?.Invoke(true);
        Logger.LogInformation("Task {Connector}-{Task} started ({State})", Id.Connector, Id.Task, _state);
    }

    private void SetState(string state)
    {
        _state = state;
        Metrics.StateChanged(state);
    }

    private async Task RunAsync()
    {
        try
        {
            await ExecuteAsync();
            if (_state != States.Failed) SetState(States.Unassigned);
        }
        catch (Exception e) when (IsStopping && e is OperationCanceledException)
        {
            SetState(States.Unassigned);
        }
        catch (Exception e)
        {
            _trace = e.ToString();
            SetState(States.Failed);
            if (!_started) OnStartup?.Invoke(false);
            Logger.LogError(e, "Task {Connector}-{Task} failed", Id.Connector, Id.Task);
            try { await CleanupAfterFailureAsync(); }
            catch (Exception cleanup) { Logger.LogWarning(cleanup, "Task {Connector}-{Task} did not clean up after failing", Id.Connector, Id.Task); }
            if (OnFailed is { } onFailed)
            {
                try { await onFailed(_trace); }
                catch (Exception report) { Logger.LogWarning(report, "Could not report the failure of task {Connector}-{Task}", Id.Connector, Id.Task); }
            }
        }
    }

    /// <summary>The loop: start the task, move records until stopped, then commit and stop the task.</summary>
    protected abstract Task ExecuteAsync();

    /// <summary>Releases clients after a failure (no commit: what was not committed will be redone).</summary>
    protected abstract Task CleanupAfterFailureAsync();

    /// <summary>Stops the loop gracefully (flush and commit) within the graceful shutdown timeout.</summary>
    public async Task StopAsync()
    {
        _stop.Cancel();
        lock (_gate) _resumed.TrySetResult();
        if (_loop is null) return;
        var timeout = Worker.TaskStopTimeout;
        try
        {
            await _loop.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            Logger.LogWarning("Task {Connector}-{Task} did not stop within {Timeout}; abandoning it", Id.Connector, Id.Task, timeout);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
        GC.SuppressFinalize(this);
    }
}
