using Microsoft.Extensions.Logging;
using OrleansConnect.Runtime.Reminders;
using OrleansConnect.Runtime.Tests.Grains;
using OrleansConnect.Runtime.Tests.Infrastructure;
using Xunit;

namespace OrleansConnect.Runtime.Tests;

public sealed class ReminderTests : IDisposable
{
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(300);
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string NewKey() => Guid.NewGuid().ToString("N");

    [Fact]
    public async Task Reminders_fire_on_their_schedule_and_survive_a_restart()
    {
        var key = NewKey();
        var probe = Probe.For(key);
        await using (var first = await TestSilo.StartAsync(_dir.Path, o => o.SiloId = "silo-1"))
        {
            await first.GrainFactory.GetGrain<IReminderGrain>(key).Start("beat", TimeSpan.FromMilliseconds(50), Period);
            await Poll.UntilAsync(() => probe.ReminderTicks.Count >= 2, "two ticks on the first silo");
        }
        var ticksBeforeRestart = probe.ReminderTicks.ToList();
        Assert.All(ticksBeforeRestart, t => Assert.Equal(("silo-1", "beat"), (t.Silo, t.Reminder)));
        // Every tick is on the schedule start + k * period, the first at the start.
        var ticks = ticksBeforeRestart.Select(t => t.Status).ToList();
        Assert.All(ticks, s => Assert.Equal(0, (s.CurrentTickTime - s.FirstTickTime).Ticks % Period.Ticks));
        Assert.Equal(ticks[0].FirstTickTime, ticks[0].CurrentTickTime);
        // Later boundaries (one period on, more if a slow tick made some overdue: those fire once).
        Assert.All(ticks.Zip(ticks.Skip(1)), pair => Assert.True(pair.Second.CurrentTickTime > pair.First.CurrentTickTime));

        // Nothing calls the grain on the new silo: the reminder activates it.
        await using var second = await TestSilo.StartAsync(_dir.Path, o => o.SiloId = "silo-2");
        await Poll.UntilAsync(() => probe.ReminderTicks.Any(t => t.Silo == "silo-2"), "a tick on the restarted silo");
        var lastBefore = ticksBeforeRestart.Max(t => t.Status.CurrentTickTime);
        var firstAfter = probe.ReminderTicks.First(t => t.Silo == "silo-2").Status;
        Assert.True(firstAfter.CurrentTickTime > lastBefore, "a tick was delivered twice");
        Assert.Equal(ticks[0].FirstTickTime, firstAfter.FirstTickTime);
    }

    [Fact]
    public async Task Unregistering_stops_the_reminder()
    {
        var key = NewKey();
        var probe = Probe.For(key);
        await using var host = await TestSilo.StartAsync(_dir.Path);
        var grain = host.GrainFactory.GetGrain<IReminderGrain>(key);
        await grain.Start("once", TimeSpan.Zero, Period);
        await Poll.UntilAsync(() => probe.ReminderTicks.Count >= 1, "a tick");

        Assert.True(await grain.Stop("once"));
        Assert.False(await grain.Has("once"));
        Assert.False(await grain.Stop("once"));
        var afterStop = probe.ReminderTicks.Count;
        await Task.Delay(Period * 3);
        Assert.Equal(afterStop, probe.ReminderTicks.Count);
    }

    [Fact]
    public async Task Reminder_errors_are_logged_and_ticking_goes_on()
    {
        var key = NewKey();
        var probe = Probe.For(key);
        var logs = new TestLoggerFactory();
        await using var host = await TestSilo.StartAsync(_dir.Path, logging: logs);
        var grain = host.GrainFactory.GetGrain<IReminderGrain>(key);
        await grain.FailNextTicks(1);
        await grain.Start("flaky", TimeSpan.Zero, TimeSpan.FromMilliseconds(150));

        await Poll.UntilAsync(() => probe.ReminderTicks.Count >= 2, "a tick after the failed one");
        var error = Assert.Single(logs.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("flaky"));
        Assert.Contains(key, error.Message);
        Assert.Equal("reminder tick failed on purpose", error.Exception?.Message);
    }

    [Fact]
    public async Task Bad_reminder_registrations_are_refused()
    {
        await using var host = await TestSilo.StartAsync(_dir.Path, o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(1));
        var grain = host.GrainFactory.GetGrain<IReminderGrain>(NewKey());

        var tooFast = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => grain.Start("r", TimeSpan.Zero, TimeSpan.FromMilliseconds(500)));
        Assert.Contains("MinimumReminderPeriod", tooFast.Message);
        await Assert.ThrowsAsync<ArgumentException>(() => grain.Start(" ", TimeSpan.Zero, TimeSpan.FromSeconds(1)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => grain.Start("r", TimeSpan.FromSeconds(-1), TimeSpan.FromSeconds(1)));
        Assert.False(await grain.Has("r"));

        var notRemindable = await Assert.ThrowsAsync<InvalidOperationException>(
            () => host.GrainFactory.GetGrain<INotRemindableGrain>(NewKey()).TryRegister());
        Assert.Contains("IRemindable", notRemindable.Message);
    }

    [Fact]
    public void The_next_tick_is_the_next_boundary_or_at_once_when_overdue()
    {
        var start = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var entry = new ReminderEntry(new GrainId("t", "k"), "r", start, TimeSpan.FromSeconds(10));
        DateTimeOffset At(double seconds) => start + TimeSpan.FromSeconds(seconds);

        // Never fired: the first tick is at the start, or as soon as possible once past it.
        Assert.Equal(At(0), LocalReminderService.NextTick(entry, null, At(-5)));
        Assert.Equal(At(0), LocalReminderService.NextTick(entry, null, At(3)));
        // Fired at 20 s: the next boundary is 30 s.
        Assert.Equal(At(30), LocalReminderService.NextTick(entry, At(20), At(25)));
        Assert.Equal(At(30), LocalReminderService.NextTick(entry, At(20), At(30)));
        // Down from 20 s to 55 s: the 30/40/50 s boundaries are overdue and fire once, as 50 s, at once.
        Assert.Equal(At(50), LocalReminderService.NextTick(entry, At(20), At(55)));
    }
}
