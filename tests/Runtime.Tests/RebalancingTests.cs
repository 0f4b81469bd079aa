using Microsoft.Extensions.DependencyInjection;
using OrleansConnect.Runtime.Activation;
using OrleansConnect.Runtime.GrainDirectory;
using OrleansConnect.Runtime.Tests.Grains;
using OrleansConnect.Runtime.Tests.Infrastructure;

namespace OrleansConnect.Runtime.Tests;

public sealed class RebalancingTests : IAsyncLifetime
{
    private static readonly string RebalancedType = typeof(IRebalancedGrain).FullName!;
    private readonly TempDirectory _dir = new();
    private TestCluster _cluster = null!;

    public Task InitializeAsync()
    {
        _cluster = new TestCluster(_dir.Path);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        _dir.Dispose();
    }

    private static void Fast(GrainRuntimeOptions options) => options.RebalancePeriod = TimeSpan.FromMilliseconds(300);

    private static int Hosted(SiloHost silo) =>
        silo.Services.GetRequiredService<Catalog>().ActivationCountsByType().GetValueOrDefault(RebalancedType);

    [Fact]
    public async Task A_joining_silo_receives_a_fair_share_moved_cleanly_and_the_other_grains_are_not_touched()
    {
        var a = await _cluster.StartSiloAsync(Fast);
        var b = await _cluster.StartSiloAsync(Fast);
        await _cluster.WaitForActiveAsync(2);
        var keys = Enumerable.Range(0, 8).Select(i => $"rebalanced-{Guid.NewGuid():N}-{i}").ToList();
        var homes = new Dictionary<string, string>();
        for (var i = 0; i < keys.Count; i++) homes[keys[i]] = await a.GrainFactory.GetGrain<IRebalancedGrain>(keys[i]).Touch(i + 100);
        // Durable but not [Rebalanceable]: never moved.
        var pinned = Enumerable.Range(0, 4).Select(_ => $"pinned-{Guid.NewGuid():N}").ToList();
        foreach (var key in pinned) await a.GrainFactory.GetGrain<IDurableGrain>(key).Touch(1);
        Assert.Equal(4, Hosted(a));
        Assert.Equal(4, Hosted(b));

        var c = await _cluster.StartSiloAsync(Fast);
        await _cluster.WaitForActiveAsync(3);
        var silos = new[] { a, b, c };
        await Poll.UntilAsync(() =>
        {
            var counts = silos.Select(Hosted).ToList();
            return counts.Sum() == keys.Count && counts.Max() - counts.Min() <= 1;
        }, "the 8 rebalanced grains spread within one over 3 silos", TimeSpan.FromSeconds(30));
        Assert.InRange(Hosted(c), 2, 3);

        var moved = 0;
        for (var i = 0; i < keys.Count; i++)
        {
            var key = keys[i];
            var grain = c.GrainFactory.GetGrain<IRebalancedGrain>(key);
            var now = await grain.WhereAmI();
            var probe = Probe.For(key);
            if (now == homes[key])
            {
                Assert.Equal(1, probe.Activations);
                Assert.Empty(probe.Deactivations);
            }
            else
            {
                moved++;
                Assert.Equal(c.Silo.SiloId, now);
                Assert.Equal(2, probe.Activations);
                Assert.Equal(DeactivationReasonCode.Migrating, Assert.Single(probe.Deactivations).Code);
            }
            Assert.Equal(i + 100, await grain.Value());
        }
        Assert.Equal(Hosted(c), moved);
        Assert.All(pinned, k =>
        {
            Assert.Equal(1, Probe.For(k).Activations);
            Assert.Empty(Probe.For(k).Deactivations);
        });
    }

    [Fact]
    public async Task A_grain_in_flight_counts_on_its_target_and_calls_from_other_silos_follow_it_there()
    {
        // The callers below load the shared SQLite file: a generous death timeout keeps a slow heartbeat from failing a silo.
        static void Patient(GrainRuntimeOptions o)
        {
            Fast(o);
            o.SiloDeathTimeout = TimeSpan.FromSeconds(10);
        }
        var a = await _cluster.StartSiloAsync(Patient);
        var b = await _cluster.StartSiloAsync(Patient);
        await _cluster.WaitForActiveAsync(2);
        var keys = Enumerable.Range(0, 12).Select(i => $"in-flight-{Guid.NewGuid():N}-{i}").ToList();
        var homes = new Dictionary<string, string>();
        foreach (var key in keys)
        {
            homes[key] = await a.GrainFactory.GetGrain<IRebalancedGrain>(key).Touch(1);
            // A slow clean stop: the grain is in flight long enough for the callers below to hit the gap.
            Probe.For(key).DeactivationDelay = TimeSpan.FromMilliseconds(300);
        }

        // Both old silos call every grain without pause while the newcomer takes its share; b looks each grain up
        // afresh every time, as a silo does that calls a grain for the first time (say, a reminder that just moved).
        using var stop = new CancellationTokenSource();
        var dirB = b.Services.GetRequiredService<AdoNetGrainDirectory>();
        var callers = new[] { a, b }.Select(silo => Task.Run(async () =>
        {
            var calls = 0;
            while (!stop.IsCancellationRequested)
            {
                // Paced: a round every 20 ms is far more often than a move takes, without starving the heartbeats.
                await Task.Delay(20);
                foreach (var key in keys)
                {
                    if (silo == b && await dirB.LookupAsync(new GrainId(RebalancedType, key), CancellationToken.None) is { } cached)
                        dirB.Invalidate(cached);
                    await silo.GrainFactory.GetGrain<IRebalancedGrain>(key).WhereAmI();
                    calls++;
                }
            }
            return calls;
        })).ToList();
        // What every silo's rebalancer and placement count: a grain in flight must count somewhere (on its target), or
        // another silo would take the gap for imbalance and start a second move at once.
        var fewestCounted = Task.Run(async () =>
        {
            var fewest = int.MaxValue;
            while (!stop.IsCancellationRequested)
            {
                // Paced like the callers, so the silos' own queries to the shared SQLite file are not starved.
                await Task.Delay(5);
                var (perSilo, _) = await dirB.CountAsync(RebalancedType, [], CancellationToken.None);
                fewest = Math.Min(fewest, perSilo.Values.Sum());
            }
            return fewest;
        });

        var c = await _cluster.StartSiloAsync(Patient);
        await _cluster.WaitForActiveAsync(3);
        var silos = new[] { a, b, c };
        try
        {
            await Poll.UntilAsync(() => Hosted(c) == keys.Count / 3 && silos.Sum(Hosted) == keys.Count,
                "the newcomer holds its 4 of the 12 grains", TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException e)
        {
            var (perSilo, _) = await dirB.CountAsync(RebalancedType, [], CancellationToken.None);
            var failed = callers.Where(t => t.IsFaulted).Select(t => t.Exception!.GetBaseException().ToString()).FirstOrDefault();
            throw new TimeoutException($"{e.Message} Caller failure: {failed}. Hosted: {string.Join(", ", silos.Select(s => $"{s.Silo.SiloId}={Hosted(s)}"))}; directory: " +
                string.Join(", ", perSilo.Select(p => $"{p.Key}={p.Value}")) + "; active: " +
                string.Join(", ", TestCluster.Membership(a).ActiveSilos), e);
        }
        await stop.CancelAsync();
        Assert.All(await Task.WhenAll(callers), calls => Assert.True(calls > keys.Count));
        Assert.Equal(keys.Count, await fewestCounted);

        foreach (var key in keys)
        {
            var now = await c.GrainFactory.GetGrain<IRebalancedGrain>(key).WhereAmI();
            var probe = Probe.For(key);
            // Stayed: never restarted. Moved: activated exactly twice, the second time on the newcomer.
            Assert.Equal(now == homes[key] ? 1 : 2, probe.Activations);
            if (now != homes[key])
            {
                Assert.Equal(c.Silo.SiloId, now);
                Assert.Equal([$"activated:{homes[key]}", $"activated:{c.Silo.SiloId}"], probe.Events.ToArray());
            }
        }
    }

    [Fact]
    public async Task A_silo_restarted_under_its_old_id_receives_a_fair_share_again()
    {
        var a = await _cluster.StartSiloAsync(Fast);
        var b = await _cluster.StartSiloAsync(Fast);
        await _cluster.WaitForActiveAsync(2);
        var keys = Enumerable.Range(0, 8).Select(i => $"restarted-{Guid.NewGuid():N}-{i}").ToList();
        foreach (var key in keys) await a.GrainFactory.GetGrain<IRebalancedGrain>(key).Touch(1);
        var bId = b.Silo.SiloId;
        await b.StopAsync();
        // Its grains were handed to a when it stopped (or are placed there by the next call).
        foreach (var key in keys) Assert.Equal(a.Silo.SiloId, await a.GrainFactory.GetGrain<IRebalancedGrain>(key).WhereAmI());

        var again = await _cluster.StartSiloAsync(Fast, bId);
        await _cluster.WaitForActiveAsync(2, [a, again]);
        await Poll.UntilAsync(() => Hosted(again) == 4 && Hosted(a) == 4,
            "the restarted silo holds 4 of the 8 grains again", TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void RebalancePeriod_must_be_positive_or_infinite()
    {
        var options = new GrainRuntimeOptions { RebalancePeriod = TimeSpan.Zero };
        TestCluster.ClusterDefaults(options, _dir.Path, "127.0.0.1:1");
        options.RebalancePeriod = TimeSpan.Zero;
        Assert.Contains(nameof(GrainRuntimeOptions.RebalancePeriod), Assert.Throws<ArgumentException>(options.Validate).Message);
        options.RebalancePeriod = Timeout.InfiniteTimeSpan;
        options.Validate();
    }
}
