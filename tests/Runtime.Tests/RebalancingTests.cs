using Microsoft.Extensions.DependencyInjection;
using OrleansConnect.Runtime.Activation;
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
