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

    /// <summary>Answers whether this task's silo is still a live member, so the loop may send, write and commit: false
    /// once it was declared dead (a newer activation of the task runs elsewhere) or while that cannot be confirmed.
    /// Checked before every commit (the final one of a stopping loop included), before every record a source sends and
    /// before every put of a sink. Null for one silo alone: nobody can replace it.</summary>
    public ITaskFence? Fence { get; set; }

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
            if (await fence.IsCurrentAsync(cancellationToken)) return false;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Unknown: don't commit; what is not committed is redone, never lost.
            Logger.LogWarning(e, "Task {Connector}-{Task} could not check it is still the current activation; skipping this commit", Id.Connector, Id.Task);
            return true;
        }
        if (fence.IsDeclaredDead)
            Logger.LogWarning("Task {Connector}-{Task} runs on a silo the cluster declared dead (a newer activation took over); not committing", Id.Connector, Id.Task);
        else
            // The membership store cannot be read: the fence logs that once for the whole silo.
            Logger.LogDebug("Task {Connector}-{Task} cannot confirm its silo's membership; not committing this time", Id.Connector, Id.Task);
        return true;
    }

    /// <summary>May the loop send or write now? A clock comparison while the silo's last membership confirmation is
    /// fresh (the per-record cost); otherwise <see cref="WaitUntilMayPublishAsync"/> must be awaited.</summary>
    protected bool MayPublishNow => Fence is not { } fence || fence.IsConfirmed;

    /// <summary>Waits until the fence confirms this silo is alive: after a pause (SIGSTOP, a long GC, a cut network) the
    /// confirmation has expired and one membership read, shared by every loop of the silo, decides. While the membership
    /// store cannot be read the loop sends and writes nothing and asks again, backing off to a second; the silo read
    /// dead stops the loop (its fence stops the task). False when the loop is stopping: it must not send.</summary>
    protected async Task<bool> WaitUntilMayPublishAsync()
    {
        if (Fence is not { } fence) return !IsStopping;
        var delay = TimeSpan.FromMilliseconds(50);
        var waited = false;
        while (!IsStopping)
        {
            try
            {
                if (await fence.IsCurrentAsync(StopToken))
                {
                    if (waited) Logger.LogInformation("Task {Connector}-{Task} resumes: its silo is confirmed a live member again", Id.Connector, Id.Task);
                    return !IsStopping;
                }
            }
            catch (OperationCanceledException) when (IsStopping)
            {
                return false;
            }
            catch (Exception e)
            {
                Logger.LogDebug(e, "Task {Connector}-{Task} could not check that its silo is alive", Id.Connector, Id.Task);
            }
            if (IsStopping) break;
            if (!waited)
            {
                waited = true;
                Logger.LogWarning("Task {Connector}-{Task} pauses: its silo's membership cannot be confirmed, so it sends and writes nothing until it can",
                    Id.Connector, Id.Task);
            }
            try { await Task.Delay(delay, StopToken); }
            catch (OperationCanceledException) { break; }
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 1000));
        }
        return false;
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
            // Before the task reports FAILED, as Kafka's WorkerSourceTask commits before execute() rethrows: what the
            // failed loop already completed is kept, so the automatic restart does not repeat it.
            string? kept = null;
            try { kept = await CommitAfterFailureAsync(); }
            catch (Exception commit) { Logger.LogWarning(commit, "Task {Connector}-{Task} could not commit after failing", Id.Connector, Id.Task); }
            _trace = kept is null ? e.ToString() : kept + "\n" + e;
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

    /// <summary>Commits what the failed loop completed, before the task reports FAILED; returns a line for the status
    /// trace saying what was kept (null: nothing to say).</summary>
    protected virtual Task<string?> CommitAfterFailureAsync() => Task.FromResult<string?>(null);

    /// <summary>Releases clients after a failure (after <see cref="CommitAfterFailureAsync"/>; what was not committed
    /// will be redone).</summary>
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

/// <summary>The silo's liveness as the task loops check it (<see cref="Cluster.SiloFence"/>).</summary>
public interface ITaskFence
{
    /// <summary>True while the silo's last membership confirmation is fresh: a clock comparison.</summary>
    bool IsConfirmed { get; }

    /// <summary>True when the silo is confirmed alive, reading the membership table if the confirmation expired.</summary>
    Task<bool> IsCurrentAsync(CancellationToken cancellationToken);

    /// <summary>True once the silo read itself declared dead (not merely unconfirmed).</summary>
    bool IsDeclaredDead { get; }
}
