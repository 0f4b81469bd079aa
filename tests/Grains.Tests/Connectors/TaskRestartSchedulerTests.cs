using Microsoft.Extensions.Logging.Abstractions;
using OrleansConnect.Grains.Connectors;

namespace OrleansConnect.Tests.Connectors;

public sealed class TaskRestartSchedulerTests
{
    private sealed class FakeTimers
    {
        public List<(Func<Task> Callback, TimeSpan Delay, Handle Handle)> Started { get; } = [];

        public IDisposable Start(Func<Task> callback, TimeSpan delay)
        {
            var handle = new Handle();
            Started.Add((callback, delay, handle));
            return handle;
        }

        public sealed class Handle : IDisposable
        {
            public bool Disposed { get; private set; }
            public void Dispose() => Disposed = true;
        }
    }

    private readonly FakeTimers _timers = new();
    private readonly List<(int Task, int Attempt)> _due = [];
    private readonly TaskRestartScheduler _scheduler;

    public TaskRestartSchedulerTests()
    {
        _scheduler = new TaskRestartScheduler("c", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), _timers.Start,
            (task, attempt) =>
            {
                _due.Add((task, attempt));
                return Task.CompletedTask;
            }, NullLogger.Instance);
    }

    [Fact]
    public async Task A_failure_arms_one_restart_however_often_it_is_seen()
    {
        _scheduler.OnFailed(0, "boom");
        _scheduler.OnFailed(0, "boom"); // the reconcile saw it too
        var timer = Assert.Single(_timers.Started);
        Assert.Equal(TimeSpan.FromSeconds(1), timer.Delay);
        Assert.True(_scheduler.IsScheduled(0));
        Assert.StartsWith("OrleansConnect restarts FAILED tasks automatically: attempt 1 scheduled at", _scheduler.Plans[0]);

        await timer.Callback();
        Assert.Equal([(0, 1)], _due);
        Assert.False(_scheduler.IsScheduled(0));
        Assert.True(timer.Handle.Disposed);
    }

    [Fact]
    public async Task Delays_double_up_to_the_cap_while_the_task_keeps_failing()
    {
        var delays = new List<TimeSpan>();
        for (var i = 0; i < 5; i++)
        {
            _scheduler.OnFailed(3, "boom");
            var timer = _timers.Started[^1];
            delays.Add(timer.Delay);
            await timer.Callback();
            _scheduler.OnRestarting(3);
        }
        Assert.Equal([1, 2, 4, 5, 5], delays.Select(d => (int)d.TotalSeconds));
        Assert.Equal([1, 2, 3, 4, 5], _due.Select(d => d.Attempt));
    }

    [Fact]
    public void A_restart_by_hand_drops_the_pending_timer()
    {
        _scheduler.OnFailed(1, "boom");
        _scheduler.OnRestarting(1);
        Assert.True(_timers.Started[0].Handle.Disposed);
        Assert.False(_scheduler.IsScheduled(1));
        Assert.Equal("OrleansConnect restarts FAILED tasks automatically: 1 attempt(s) so far.", _scheduler.Plans[1]);
    }

    [Fact]
    public void Describing_a_failure_not_reported_yet_arms_nothing()
    {
        Assert.Equal("OrleansConnect restarts FAILED tasks automatically: attempt 1 is being scheduled.", _scheduler.Describe(2));
        Assert.Empty(_timers.Started);
        Assert.Empty(_scheduler.Plans);
        _scheduler.OnFailed(2, "boom");
        Assert.StartsWith("OrleansConnect restarts FAILED tasks automatically: attempt 1 scheduled at", _scheduler.Describe(2));
    }

    [Fact]
    public void Forgotten_tasks_lose_their_timers_and_plans()
    {
        _scheduler.OnFailed(0, "a");
        _scheduler.OnFailed(1, "b");
        _scheduler.OnFailed(2, "c");
        _scheduler.Forget(1);
        Assert.Equal([0], _scheduler.Plans.Keys);
        Assert.False(_timers.Started[0].Handle.Disposed);
        Assert.True(_timers.Started[1].Handle.Disposed);
        Assert.True(_timers.Started[2].Handle.Disposed);
    }

    [Fact]
    public void Published_plans_are_snapshots()
    {
        _scheduler.OnFailed(0, "a");
        var before = _scheduler.Plans;
        _scheduler.OnFailed(1, "b");
        Assert.Equal([0], before.Keys);
        Assert.Equal([0, 1], _scheduler.Plans.Keys.Order());
    }
}
