using OrleansConnect.Runtime.Tests.Grains;
using OrleansConnect.Runtime.Tests.Infrastructure;
using Xunit;

namespace OrleansConnect.Runtime.Tests;

public sealed class TimerTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private SiloHost _host = null!;

    public async Task InitializeAsync() => _host = await TestSilo.StartAsync(_dir.Path);

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Timer_ticks_run_as_turns_between_calls()
    {
        var key = Guid.NewGuid().ToString("N");
        var grain = _host.GrainFactory.GetGrain<ITimerGrain>(key);
        await grain.StartTimer(TimeSpan.FromMilliseconds(10));

        // Calls that hold their turn for a while, issued together, while the timer keeps ticking.
        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => grain.Busy(15)));
        await Poll.UntilAsync(() => Volatile.Read(ref Probe.For(key).TimerTicks) >= 5, "the timer ticked 5 times");

        Assert.Equal(0, Probe.For(key).Overlaps);
    }

    [Fact]
    public async Task Disposing_the_timer_or_deactivating_stops_it()
    {
        var key = Guid.NewGuid().ToString("N");
        var grain = _host.GrainFactory.GetGrain<ITimerGrain>(key);
        var probe = Probe.For(key);

        await grain.StartTimer(TimeSpan.FromMilliseconds(10));
        await Poll.UntilAsync(() => Volatile.Read(ref probe.TimerTicks) >= 2, "the timer ticked");
        await grain.StopTimer();
        var afterStop = Volatile.Read(ref probe.TimerTicks);
        await Task.Delay(200);
        Assert.InRange(Volatile.Read(ref probe.TimerTicks), afterStop, afterStop + 1);

        await grain.StartTimer(TimeSpan.FromMilliseconds(10));
        await Poll.UntilAsync(() => Volatile.Read(ref probe.TimerTicks) >= afterStop + 3, "the new timer ticked");
        await grain.Deactivate();
        await Poll.UntilAsync(() => _host.Silo.ActivationCount == 0, "the grain deactivated");
        var afterDeactivation = Volatile.Read(ref probe.TimerTicks);
        await Task.Delay(200);
        Assert.Equal(afterDeactivation, Volatile.Read(ref probe.TimerTicks));
    }

    [Fact]
    public async Task A_one_shot_timer_fires_once()
    {
        var key = Guid.NewGuid().ToString("N");
        await _host.GrainFactory.GetGrain<ITimerGrain>(key).StartOneShot(TimeSpan.FromMilliseconds(20));
        await Poll.UntilAsync(() => Probe.For(key).Events.Contains("one-shot"), "the one-shot timer fired");
        await Task.Delay(150);
        Assert.Single(Probe.For(key).Events, e => e == "one-shot");
    }
}
