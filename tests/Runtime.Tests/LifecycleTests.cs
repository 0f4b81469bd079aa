using OrleansConnect.Runtime.Tests.Grains;
using OrleansConnect.Runtime.Tests.Infrastructure;
using Xunit;

namespace OrleansConnect.Runtime.Tests;

public sealed class LifecycleTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string NewKey() => Guid.NewGuid().ToString("N");

    [Fact]
    public async Task Shutdown_deactivates_every_activation_with_ShuttingDown()
    {
        var host = await TestSilo.StartAsync(_dir.Path);
        var keys = Enumerable.Range(0, 5).Select(_ => NewKey()).ToList();
        foreach (var key in keys) await host.GrainFactory.GetGrain<ILifecycleGrain>(key).Ping();
        Assert.Equal(5, host.Silo.ActivationCount);

        await host.StopAsync();

        foreach (var key in keys)
            Assert.Equal(DeactivationReasonCode.ShuttingDown, Assert.Single(Probe.For(key).Deactivations).Code);
        Assert.Equal(0, host.Silo.ActivationCount);
        Assert.False(host.Silo.IsRunning);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.GrainFactory.GetGrain<ILifecycleGrain>(keys[0]).Ping());
        Assert.Contains("stopped", error.Message);
        await host.DisposeAsync();
    }

    [Fact]
    public async Task Shutdown_does_not_wait_forever_for_a_hanging_OnDeactivateAsync()
    {
        var host = await TestSilo.StartAsync(_dir.Path, o =>
        {
            o.DeactivationTimeout = TimeSpan.FromMilliseconds(300);
            o.ShutdownTimeout = TimeSpan.FromSeconds(2);
        });
        var hanging = NewKey();
        var normal = NewKey();
        await host.GrainFactory.GetGrain<ILifecycleGrain>(hanging).HangOnDeactivate();
        await host.GrainFactory.GetGrain<ILifecycleGrain>(normal).Ping();

        var started = DateTime.UtcNow;
        await host.StopAsync();

        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(2.5), "stop took too long");
        Assert.Contains("hanging", Probe.For(hanging).Events);
        Assert.Equal(DeactivationReasonCode.ShuttingDown, Assert.Single(Probe.For(normal).Deactivations).Code);
        await host.DisposeAsync();
    }

    [Fact]
    public async Task Calls_before_start_fail_clearly()
    {
        await using var host = SiloHost.Create(o => TestSilo.Defaults(o, _dir.Path));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.GrainFactory.GetGrain<ILifecycleGrain>("k").Ping());
        Assert.Contains("not started", error.Message);
    }

    [Fact]
    public async Task Idle_activations_are_collected_unless_kept_alive()
    {
        await using var host = await TestSilo.StartAsync(_dir.Path, o =>
        {
            o.CollectionAge = TimeSpan.FromMilliseconds(300);
            o.CollectionQuantum = TimeSpan.FromMilliseconds(50);
        });
        var idle = NewKey();
        var kept = NewKey();
        var timed = NewKey();
        await host.GrainFactory.GetGrain<ILifecycleGrain>(idle).Ping();
        await host.GrainFactory.GetGrain<ILifecycleGrain>(kept).KeepAlive();
        await host.GrainFactory.GetGrain<ITimerGrain>(timed).StartTimer(TimeSpan.FromSeconds(30));

        await Poll.UntilAsync(() => !Probe.For(idle).Deactivations.IsEmpty, "the idle grain is collected");
        Assert.Equal(DeactivationReasonCode.ActivationIdle, Assert.Single(Probe.For(idle).Deactivations).Code);

        // Several collection ages later the kept-alive grain and the grain with a live timer are still there.
        await Task.Delay(TimeSpan.FromMilliseconds(900));
        Assert.Empty(Probe.For(kept).Deactivations);
        Assert.Equal(2, host.Silo.ActivationCount);

        // A collected grain comes back on its next call.
        await host.GrainFactory.GetGrain<ILifecycleGrain>(idle).Ping();
        Assert.Equal(2, Probe.For(idle).Activations);
    }

    [Fact]
    public async Task A_silo_runs_once()
    {
        await using var host = await TestSilo.StartAsync(_dir.Path);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());
        Assert.Contains("already started", error.Message);
    }
}
