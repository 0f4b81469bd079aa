using System.Net;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using OrleansConnect.Runtime.GrainDirectory;
using OrleansConnect.Runtime.Membership;
using OrleansConnect.Runtime.Transport;
using OrleansConnect.Runtime.Tests.Grains;
using OrleansConnect.Runtime.Tests.Infrastructure;

namespace OrleansConnect.Runtime.Tests;

public sealed class ClusterTests : IAsyncLifetime
{
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

    private static string Key() => Guid.NewGuid().ToString("N");

    /// <summary>A key of a grain that placement put on <paramref name="silo"/> (asked through <paramref name="via"/>).</summary>
    private static async Task<string> KeyLivingOnAsync(SiloHost via, SiloHost silo)
    {
        for (var i = 0; i < 50; i++)
        {
            var key = Key();
            if (await via.GrainFactory.GetGrain<IClusterGrain>(key).WhereAmI() == silo.Silo.SiloId) return key;
        }
        throw new InvalidOperationException($"Placement never chose silo {silo.Silo.SiloId}.");
    }

    [Fact]
    public async Task Calls_from_any_silo_reach_the_one_activation_and_placement_spreads_grains_evenly()
    {
        var a = await _cluster.StartSiloAsync();
        var b = await _cluster.StartSiloAsync();
        await _cluster.WaitForActiveAsync(2);

        var keys = Enumerable.Range(0, 20).Select(_ => Key()).ToList();
        var homes = new List<string>();
        foreach (var key in keys)
        {
            Assert.Equal(1, await a.GrainFactory.GetGrain<IClusterGrain>(key).Increment());
            Assert.Equal(2, await b.GrainFactory.GetGrain<IClusterGrain>(key).Increment());
            homes.Add(await b.GrainFactory.GetGrain<IClusterGrain>(key).WhereAmI());
        }
        Assert.All(keys, k => Assert.Equal(1, Probe.For(k).Activations));
        var onA = homes.Count(h => h == a.Silo.SiloId);
        Assert.Equal(10, onA); // exact counts from the directory: sequential placements alternate
        Assert.Equal(20, a.Silo.ActivationCount + b.Silo.ActivationCount);
    }

    [Fact]
    public async Task Concurrent_activation_from_two_silos_yields_a_single_activation()
    {
        var a = await _cluster.StartSiloAsync();
        var b = await _cluster.StartSiloAsync();
        await _cluster.WaitForActiveAsync(2);

        var keys = Enumerable.Range(0, 15).Select(_ => Key()).ToList();
        var calls = keys.SelectMany(k => Enumerable.Range(0, 8).Select(i =>
            (i % 2 == 0 ? a : b).GrainFactory.GetGrain<IClusterGrain>(k).Increment())).ToList();
        await Task.WhenAll(calls);

        foreach (var key in keys)
        {
            Assert.Equal(8, await a.GrainFactory.GetGrain<IClusterGrain>(key).Get());
            Assert.Equal(1, Probe.For(key).Activations);
            Assert.Equal(0, Probe.For(key).Overlaps);
        }
    }

    [Fact]
    public async Task The_directory_lets_exactly_one_of_racing_registrations_win()
    {
        var a = await _cluster.StartSiloAsync();
        var b = await _cluster.StartSiloAsync();
        var dirA = a.Services.GetRequiredService<AdoNetGrainDirectory>();
        var dirB = b.Services.GetRequiredService<AdoNetGrainDirectory>();
        for (var i = 0; i < 20; i++)
        {
            var grain = new GrainId("race", Key());
            var results = await Task.WhenAll(
                Task.Run(() => dirA.RegisterAsync(new GrainAddress(grain, a.Silo.SiloId, "act-a"), CancellationToken.None)),
                Task.Run(() => dirB.RegisterAsync(new GrainAddress(grain, b.Silo.SiloId, "act-b"), CancellationToken.None)));
            Assert.Equal(results[0].ActivationId, results[1].ActivationId);
            Assert.Equal(1, results[0].Epoch);
        }
    }

    [Fact]
    public async Task A_handed_off_entry_can_be_claimed_only_by_its_target_until_released()
    {
        var a = await _cluster.StartSiloAsync();
        var b = await _cluster.StartSiloAsync();
        var c = await _cluster.StartSiloAsync();
        await _cluster.WaitForActiveAsync(3);
        var dirA = a.Services.GetRequiredService<AdoNetGrainDirectory>();
        var dirB = b.Services.GetRequiredService<AdoNetGrainDirectory>();
        var dirC = c.Services.GetRequiredService<AdoNetGrainDirectory>();
        var grain = new GrainId("handoff", Key());
        var first = await dirA.RegisterAsync(new GrainAddress(grain, a.Silo.SiloId, "act-a"), CancellationToken.None);

        await dirA.HandOffAsync(first, c.Silo.SiloId, CancellationToken.None);
        // In flight: the entry counts on the target and everyone is sent there; a bystander cannot take it.
        var reserved = await dirB.LookupFreshAsync(grain, CancellationToken.None);
        Assert.NotNull(reserved);
        Assert.Equal(c.Silo.SiloId, reserved.SiloId);
        Assert.StartsWith(AdoNetGrainDirectory.HandOffPrefix, reserved.ActivationId);
        Assert.Equal(reserved.ActivationId, (await dirB.RegisterAsync(new GrainAddress(grain, b.Silo.SiloId, "act-b"), CancellationToken.None)).ActivationId);
        var (perSilo, _) = await dirB.CountAsync("handoff", [], CancellationToken.None);
        Assert.Equal(1, perSilo.GetValueOrDefault(c.Silo.SiloId));

        // The target claims it with a higher epoch.
        var claimed = await dirC.RegisterAsync(new GrainAddress(grain, c.Silo.SiloId, "act-c"), CancellationToken.None);
        Assert.Equal("act-c", claimed.ActivationId);
        Assert.Equal(first.Epoch + 1, claimed.Epoch);

        // A move whose target never claimed: releasing the reservation lets placement choose again.
        await dirC.HandOffAsync(claimed, b.Silo.SiloId, CancellationToken.None);
        Assert.Equal(b.Silo.SiloId, (await dirA.LookupFreshAsync(grain, CancellationToken.None))?.SiloId);
        await dirC.ReleaseHandOffAsync(grain, CancellationToken.None);
        Assert.Null(await dirA.LookupFreshAsync(grain, CancellationToken.None));
        var again = await dirA.RegisterAsync(new GrainAddress(grain, a.Silo.SiloId, "act-a2"), CancellationToken.None);
        Assert.Equal("act-a2", again.ActivationId);
        Assert.Equal(claimed.Epoch + 1, again.Epoch);
    }

    [Fact]
    public async Task Arguments_results_and_exceptions_cross_silos()
    {
        var a = await _cluster.StartSiloAsync();
        var b = await _cluster.StartSiloAsync();
        await _cluster.WaitForActiveAsync(2);
        var key = await KeyLivingOnAsync(a, b);
        var grain = a.GrainFactory.GetGrain<IClusterGrain>(key);

        var order = new Order("o1", [1, 2, 3], new Dictionary<string, string> { ["k"] = "v" }, DayOfWeek.Tuesday);
        var back = await grain.Roundtrip(order);
        Assert.Equal($"o1@{b.Silo.SiloId}", back.Id);
        Assert.Equal([1, 2, 3], back.Lines);
        Assert.Equal("v", back.Tags["k"]);
        Assert.Equal(DayOfWeek.Tuesday, back.Day);

        var status = await Assert.ThrowsAsync<StatusException>(() => grain.Throw("status", "already there"));
        Assert.Equal((409, "already there"), (status.Status, status.Message));
        Assert.Equal("bad arg", (await Assert.ThrowsAsync<ArgumentException>(() => grain.Throw("argument", "bad arg"))).Message);
        Assert.Equal("stale", (await Assert.ThrowsAsync<InconsistentStateException>(() => grain.Throw("inconsistent", "stale"))).Message);
        var opaque = await Assert.ThrowsAsync<RemoteGrainException>(() => grain.Throw("opaque", "hidden"));
        Assert.Equal((typeof(OpaqueException).FullName, "hidden"), (opaque.RemoteType, opaque.Message));

        // A grain calling a grain on the other silo.
        var other = await KeyLivingOnAsync(b, a);
        Assert.Equal(a.Silo.SiloId, await grain.WhereIs(other));
    }

    [Fact]
    public async Task The_silo_endpoint_refuses_unsigned_or_wrongly_signed_requests()
    {
        var a = await _cluster.StartSiloAsync();
        var port = a.Services.GetRequiredService<SiloTransportServer>().Port;
        using var http = new HttpClient { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        var body = """{"kind":"call","targetSilo":"x"}""";

        using var unsigned = await http.PostAsync($"http://127.0.0.1:{port}/oc/silo", new StringContent(body));
        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);

        var wrong = new MessageSigner(new GrainRuntimeOptions { ServiceId = a.Silo.ServiceId, ClusterSecret = "another-secret-of-16+chars" }, TimeProvider.System);
        var (timestamp, signature) = wrong.Sign(System.Text.Encoding.UTF8.GetBytes(body));
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{port}/oc/silo") 
        {
            Content = new StringContent(body),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.Add(MessageSigner.TimestampHeader, timestamp);
        request.Headers.Add(MessageSigner.SignatureHeader, signature);
        using var refused = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("signature does not match", await refused.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_crashed_silo_is_declared_dead_within_the_timeout_and_its_durable_grains_come_back_on_a_survivor()
    {
        var a = await _cluster.StartSiloAsync();
        var b = await _cluster.StartSiloAsync();
        await _cluster.WaitForActiveAsync(2);
        var keys = new List<string>();
        while (keys.Count < 4)
        {
            var key = Key();
            if (await a.GrainFactory.GetGrain<IDurableGrain>(key).Touch(7) == b.Silo.SiloId) keys.Add(key);
        }
        var epochs = new Dictionary<string, long>();
        foreach (var key in keys) epochs[key] = await a.GrainFactory.GetGrain<IDurableGrain>(key).Epoch();

        var crashedAt = DateTime.UtcNow;
        await b.Silo.SimulateCrashAsync();

        var membershipA = TestCluster.Membership(a);
        await Poll.UntilAsync(() => membershipA.Entries.Any(e => e.SiloId == b.Silo.SiloId && e.Status == SiloMembershipStatus.Dead),
            "silo A declares silo B dead", TimeSpan.FromSeconds(10));
        Assert.True(DateTime.UtcNow - crashedAt < TimeSpan.FromSeconds(5), "declared dead within the death timeout (2 s) plus a few probe periods");

        // Eager re-activation: no call needed, they come back on A.
        await Poll.UntilAsync(() => keys.All(k => Probe.For(k).Events.Contains($"activated:{a.Silo.SiloId}:{epochs[k] + 1}")),
            "B's durable grains are re-activated on A with the next epoch", TimeSpan.FromSeconds(10));
        foreach (var key in keys)
        {
            var grain = a.GrainFactory.GetGrain<IDurableGrain>(key);
            Assert.Equal(a.Silo.SiloId, await grain.WhereAmI());
            Assert.Equal(7, await grain.Value());
            Assert.True(await grain.IsCurrent());
        }
        Assert.Single(membershipA.ActiveSilos);
    }

    [Fact]
    public async Task A_crashed_silo_whose_port_refuses_connections_is_declared_dead_before_the_death_timeout()
    {
        static void SlowDeath(GrainRuntimeOptions o) => o.SiloDeathTimeout = TimeSpan.FromSeconds(30);
        var a = await _cluster.StartSiloAsync(SlowDeath);
        var b = await _cluster.StartSiloAsync(SlowDeath);
        await _cluster.WaitForActiveAsync(2);

        var crashed = System.Diagnostics.Stopwatch.StartNew();
        await b.Silo.SimulateCrashAsync();
        var membershipA = TestCluster.Membership(a);
        await Poll.UntilAsync(() => membershipA.Entries.Any(e => e.SiloId == b.Silo.SiloId && e.Status == SiloMembershipStatus.Dead),
            "silo A declares the crashed silo B dead", TimeSpan.FromSeconds(25));
        // Two probe periods of silence (200 ms each) and a refused connection, far short of the 30 s timeout.
        Assert.True(crashed.Elapsed < TimeSpan.FromSeconds(10), $"declared dead after {crashed.Elapsed}");
    }

    [Fact]
    public async Task A_silo_declared_dead_while_paused_stops_its_activations_and_rejoins_as_a_new_incarnation()
    {
        var a = await _cluster.StartSiloAsync();
        var b = await _cluster.StartSiloAsync();
        await _cluster.WaitForActiveAsync(2);
        string key;
        do key = Key();
        while (await a.GrainFactory.GetGrain<IDurableGrain>(key).Touch(1) != b.Silo.SiloId);
        var staleEpoch = await a.GrainFactory.GetGrain<IDurableGrain>(key).Epoch();
        var membershipB = TestCluster.Membership(b);
        var firstGeneration = membershipB.Generation;

        membershipB.HeartbeatsPaused = true;
        await Poll.UntilAsync(() => Probe.For(key).Events.Contains($"activated:{a.Silo.SiloId}:{staleEpoch + 1}"),
            "the grain is re-activated on A after B is declared dead", TimeSpan.FromSeconds(10));
        membershipB.HeartbeatsPaused = false;

        // B notices, stops the stale activation, and comes back as a new incarnation.
        await Poll.UntilAsync(() => Probe.For(key).Deactivations.Any(r => r.Code == DeactivationReasonCode.DirectoryFailure),
            "B deactivates its stale activation", TimeSpan.FromSeconds(10));
        await Poll.UntilAsync(() => membershipB.Generation > firstGeneration && membershipB.ActiveSilos.Count == 2,
            "B rejoins as a new generation", TimeSpan.FromSeconds(10));
        var table = await b.Services.GetRequiredService<AdoNetMembershipTable>().ReadAllAsync(CancellationToken.None);
        Assert.Equal(SiloMembershipStatus.Dead, table.Entries.Single(e => e.SiloId == b.Silo.SiloId && e.Generation == firstGeneration).Status);
        Assert.Equal(SiloMembershipStatus.Active, table.Entries.Single(e => e.SiloId == b.Silo.SiloId && e.Generation == membershipB.Generation).Status);

        var grain = b.GrainFactory.GetGrain<IDurableGrain>(key);
        Assert.Equal(a.Silo.SiloId, await grain.WhereAmI());
        Assert.Equal(staleEpoch + 1, await grain.Epoch());
        Assert.Equal(1, await grain.Value());
    }

    [Fact]
    public async Task A_restarted_silo_declares_its_previous_incarnation_dead_at_once()
    {
        const string siloId = "127.0.0.1:18999";
        var first = await _cluster.StartSiloAsync(siloId: siloId);
        var firstGeneration = TestCluster.Membership(first).Generation;
        await first.Silo.SimulateCrashAsync();

        var second = await _cluster.StartSiloAsync(siloId: siloId);
        var (version, entries) = await second.Services.GetRequiredService<AdoNetMembershipTable>().ReadAllAsync(CancellationToken.None);
        Assert.Equal(SiloMembershipStatus.Dead, entries.Single(e => e.Generation == firstGeneration).Status);
        Assert.True(TestCluster.Membership(second).Generation > firstGeneration);
        Assert.True(version >= 4, "every status change bumped the table version");
    }

    [Fact]
    public async Task Reminders_fire_once_per_tick_across_silos_and_move_when_a_silo_leaves()
    {
        var a = await _cluster.StartSiloAsync();
        var b = await _cluster.StartSiloAsync();
        await _cluster.WaitForActiveAsync(2);
        var keys = Enumerable.Range(0, 8).Select(_ => Key()).ToList();
        foreach (var key in keys)
            await a.GrainFactory.GetGrain<IReminderGrain>(key).Start("r", TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(300));

        // Beyond the reminder refresh period (30 s): a lost owner notification under a loaded test run is caught up then.
        await Poll.UntilAsync(() => keys.All(k => Probe.For(k).ReminderTicks.Count >= 4), "every reminder ticked 4 times", TimeSpan.FromSeconds(40));
        await b.StopAsync();
        var after = keys.ToDictionary(k => k, k => Probe.For(k).ReminderTicks.Count);
        await Poll.UntilAsync(() => keys.All(k => Probe.For(k).ReminderTicks.Count >= after[k] + 3),
            "every reminder keeps ticking on the remaining silo", TimeSpan.FromSeconds(40));
        await a.StopAsync();

        foreach (var key in keys)
        {
            var ticks = Probe.For(key).ReminderTicks.Select(t => t.Status.CurrentTickTime).ToList();
            Assert.Equal(ticks.Count, ticks.Distinct().Count());
        }
    }

    [Fact]
    public async Task A_gracefully_stopping_silo_hands_its_durable_grains_to_the_others()
    {
        var a = await _cluster.StartSiloAsync();
        var b = await _cluster.StartSiloAsync();
        await _cluster.WaitForActiveAsync(2);
        var keys = new List<string>();
        while (keys.Count < 3)
        {
            var key = Key();
            if (await a.GrainFactory.GetGrain<IDurableGrain>(key).Touch(3) == b.Silo.SiloId) keys.Add(key);
        }
        var before = a.Silo.ActivationCount;
        await b.StopAsync();
        Assert.All(keys, k => Assert.Contains(Probe.For(k).Events, e => e.StartsWith($"activated:{a.Silo.SiloId}:", StringComparison.Ordinal)));
        Assert.Equal(before + 3, a.Silo.ActivationCount);
        var table = await a.Services.GetRequiredService<AdoNetMembershipTable>().ReadAllAsync(CancellationToken.None);
        Assert.Equal(SiloMembershipStatus.Dead, table.Entries.Single(e => e.SiloId == b.Silo.SiloId).Status);
    }

    [Fact]
    public void Clustering_needs_a_cluster_secret()
    {
        var error = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddGrainRuntime(o =>
        {
            TestCluster.ClusterDefaults(o, _dir.Path, "127.0.0.1:1");
            o.ClusterSecret = "short";
        }));
        Assert.Contains("GrainRuntimeOptions.ClusterSecret", error.Message);
        var timeout = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddGrainRuntime(o =>
        {
            TestCluster.ClusterDefaults(o, _dir.Path, "127.0.0.1:1");
            o.SiloDeathTimeout = TimeSpan.FromMilliseconds(300);
        }));
        Assert.Contains("GrainRuntimeOptions.SiloDeathTimeout", timeout.Message);
    }
}
