using OrleansConnect.Runtime.Tests.Grains;
using OrleansConnect.Runtime.Tests.Infrastructure;
using Xunit;

namespace OrleansConnect.Runtime.Tests;

public sealed class ActivationTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private SiloHost _host = null!;

    public async Task InitializeAsync() => _host = await TestSilo.StartAsync(_dir.Path);

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _dir.Dispose();
    }

    private static string NewKey() => Guid.NewGuid().ToString("N");

    [Fact]
    public async Task Concurrent_calls_to_one_key_run_one_at_a_time_on_a_single_activation()
    {
        var key = NewKey();
        var grain = _host.GrainFactory.GetGrain<ICounterGrain>(key);

        var results = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => Task.Run(() => grain.Increment())));

        Assert.Equal(Enumerable.Range(1, 100), results.OrderBy(r => r));
        Assert.Equal(100, await grain.Get());
        Assert.Equal(0, Probe.For(key).Overlaps);
        Assert.Equal(1, Probe.For(key).Activations);
        // Other references to the same key reach the same activation.
        Assert.Equal(await grain.GetActivationId(), await _host.GrainFactory.GetGrain<ICounterGrain>(key).GetActivationId());
    }

    [Fact]
    public async Task Different_keys_run_concurrently()
    {
        var group = NewKey();
        var first = _host.GrainFactory.GetGrain<ICounterGrain>(NewKey()).Rendezvous(group, 2);
        var second = _host.GrainFactory.GetGrain<ICounterGrain>(NewKey()).Rendezvous(group, 2);

        var both = await Task.WhenAll(first, second);
        Assert.Equal(new[] { true, true }, both);
    }

    [Fact]
    public async Task Grain_exceptions_reach_the_caller_unchanged()
    {
        var grain = _host.GrainFactory.GetGrain<IThrowingGrain>(NewKey());

        var afterAwait = NewKey();
        var thrown = await Assert.ThrowsAsync<GrainFailureException>(() => grain.ThrowAfterAwait(afterAwait));
        Assert.Same(ThrowingGrain.Thrown[afterAwait], thrown);

        var beforeTask = NewKey();
        var thrownSync = await Assert.ThrowsAsync<ArgumentException>(() => grain.ThrowBeforeReturningTask(beforeTask));
        Assert.Same(ThrowingGrain.Thrown[beforeTask], thrownSync);

        // The activation survives a failed call.
        Assert.Equal("still here", await grain.Echo("still here"));
    }

    [Fact]
    public async Task A_failed_activation_reaches_the_caller_and_is_not_kept()
    {
        var key = NewKey();
        Probe.For(key).Events.Enqueue("fail");
        var grain = _host.GrainFactory.GetGrain<IFlakyActivationGrain>(key);

        var error = await Assert.ThrowsAsync<GrainFailureException>(() => grain.Ping());
        Assert.Contains("failed on purpose", error.Message);

        Assert.Equal(2, await grain.Ping());
        Assert.Equal(2, await grain.Ping());
    }

    [Fact]
    public async Task DeactivateOnIdle_deactivates_after_the_turn_and_queued_calls_reach_a_new_activation()
    {
        var key = NewKey();
        var grain = _host.GrainFactory.GetGrain<ICounterGrain>(key);
        var firstActivation = await grain.GetActivationId();

        var deactivating = grain.DeactivateSoon(holdMs: 200);
        var queued = grain.GetActivationId();
        await deactivating;
        var nextActivation = await queued;

        Assert.NotEqual(firstActivation, nextActivation);
        var reason = Assert.Single(Probe.For(key).Deactivations);
        Assert.Equal(DeactivationReasonCode.ApplicationRequested, reason.Code);
        Assert.Equal(2, Probe.For(key).Activations);
        Assert.Equal(nextActivation, await grain.GetActivationId());
    }

    [Fact]
    public async Task A_call_cycle_between_grains_times_out_with_a_clear_error_and_the_grains_recover()
    {
        await using var host = await TestSilo.StartAsync(_dir.Path, o => o.CallTimeout = TimeSpan.FromSeconds(1));
        var a = NewKey();
        var b = NewKey();
        var grainA = host.GrainFactory.GetGrain<ICycleGrain>(a);

        var error = await Assert.ThrowsAsync<TimeoutException>(() => grainA.CallPeer(b));

        // Whichever call of the cycle timed out first, the error names a method of the cycle, its grain and the timeout.
        Assert.Matches(@"Call ICycleGrain\.(CallPeer|CallBack|Ping) to grain \S+/(" + a + "|" + b + ") timed out after 00:00:01", error.Message);
        Assert.Contains("call cycle", error.Message);
        // Once the inner calls time out too, the turns end and both grains answer again.
        await Poll.UntilAsync(async () =>
        {
            try
            {
                return await grainA.Ping() == "pong" && await host.GrainFactory.GetGrain<ICycleGrain>(b).Ping() == "pong";
            }
            catch (TimeoutException)
            {
                return false;
            }
        }, "both grains of the cycle answer");
    }

    [Fact]
    public void GetGrain_rejects_interfaces_the_runtime_cannot_serve()
    {
        var missing = Assert.Throws<InvalidOperationException>(() => _host.GrainFactory.GetGrain<IUnimplementedGrain>("k"));
        Assert.Contains("GrainAssemblies", missing.Message);

        var bad = Assert.Throws<ArgumentException>(() => _host.GrainFactory.GetGrain<IBadGrain>("k"));
        Assert.Contains("NotATask", bad.Message);

        Assert.Throws<ArgumentNullException>(() => _host.GrainFactory.GetGrain<ICounterGrain>(null!));
    }

    [Fact]
    public async Task Grain_context_reports_the_silo_and_references_compare_by_grain()
    {
        var key = NewKey();
        var grain = _host.GrainFactory.GetGrain<ICounterGrain>(key);
        Assert.Equal("127.0.0.1:18083", await grain.GetSiloId());
        Assert.Equal(grain, _host.GrainFactory.GetGrain<ICounterGrain>(key));
        Assert.Contains(key, grain.ToString());
    }

    [Fact]
    public async Task Two_states_of_one_grain_are_told_apart_by_name()
    {
        var key = NewKey();
        await _host.GrainFactory.GetGrain<ITwoStatesGrain>(key).SetBoth("n", 7);
        Assert.Equal("n/7/True", await _host.GrainFactory.GetGrain<ITwoStatesGrain>(key).Describe());
    }
}
