using Microsoft.Extensions.Logging;

namespace OrleansConnect.Grains.Connectors;

/// <summary>The one place that arms automatic restarts of a connector's FAILED tasks (Connect leaves them failed): a
/// failure, whether the task reported it or a reconcile found it, gets one restart after its <see cref="RestartBackoff"/>
/// delay. Status reads only describe the plan. Timers come from the grain (<paramref name="startTimer"/>) so that the
/// restart runs as one of its turns; <paramref name="due"/> decides there whether the task is still to be restarted.</summary>
public sealed class TaskRestartScheduler(
    string connector,
    TimeSpan initialBackoff,
    TimeSpan maxBackoff,
    Func<Func<Task>, TimeSpan, IDisposable> startTimer,
    Func<int, int, Task> due,
    ILogger logger)
{
    private readonly Dictionary<int, RestartBackoff> _backoff = [];
    private readonly Dictionary<int, IDisposable> _timers = [];
    private volatile Dictionary<int, string> _plans = [];

    /// <summary>The restart plan of each task that failed, as the status trace shows it; a fresh snapshot that may be
    /// read outside the grain's turns.</summary>
    public Dictionary<int, string> Plans => _plans; // never changed once published

    public bool IsScheduled(int taskId) => _timers.ContainsKey(taskId);

    /// <summary>Arms the restart of a task found FAILED, unless one is armed already (a failure is reported once by the
    /// task and may also be seen by a reconcile). <paramref name="due"/> gets the task id and the attempt number.</summary>
    public void OnFailed(int taskId, string trace)
    {
        if (_timers.ContainsKey(taskId)) return;
        var backoff = BackoffOf(taskId);
        var delay = backoff.OnFailure(trace, DateTimeOffset.UtcNow);
        Publish();
        logger.LogWarning("Task {Connector}-{Task} failed; automatic restart attempt {Attempt} in {Delay}", connector, taskId, backoff.Attempts, delay);
        var attempt = backoff.Attempts;
        _timers[taskId] = startTimer(async () =>
        {
            if (_timers.Remove(taskId, out var self)) self.Dispose();
            await due(taskId, attempt);
        }, delay);
    }

    /// <summary>The task is being restarted now (by the plan, a user or a reconfiguration): a pending timer is dropped
    /// and the backoff learns when, so a task that then runs longer than the cap starts its count over.</summary>
    public void OnRestarting(int taskId)
    {
        if (_timers.Remove(taskId, out var pending)) pending.Dispose();
        BackoffOf(taskId).OnRestart(DateTimeOffset.UtcNow);
        Publish();
    }

    /// <summary>The status trace of a FAILED task: its plan, or (a status read that came before the task's report)
    /// the restart to come, without arming it: only a failure arms a restart.</summary>
    public string Describe(int taskId)
    {
        var backoff = _backoff.GetValueOrDefault(taskId);
        return backoff is not null && _timers.ContainsKey(taskId) ? backoff.Describe() : RestartBackoff.DescribePending((backoff?.Attempts ?? 0) + 1);
    }

    /// <summary>Tasks from <paramref name="from"/> on are gone (fewer tasks, stop, delete): their plans go too.</summary>
    public void Forget(int from)
    {
        foreach (var taskId in _backoff.Keys.Concat(_timers.Keys).Where(id => id >= from).Distinct().ToList())
        {
            if (_timers.Remove(taskId, out var timer)) timer.Dispose();
            _backoff.Remove(taskId);
        }
        Publish();
    }

    private RestartBackoff BackoffOf(int taskId)
    {
        if (!_backoff.TryGetValue(taskId, out var backoff)) _backoff[taskId] = backoff = new RestartBackoff(initialBackoff, maxBackoff);
        return backoff;
    }

    private void Publish() => _plans = _backoff.ToDictionary(kv => kv.Key, kv => kv.Value.Describe());
}
