using OrleansConnect.Tests.Contract;
using OrleansConnect.Tests.Infrastructure;
using static OrleansConnect.Tests.Contract.ContractHttp;

namespace OrleansConnect.Tests.Cluster;

/// <summary>KIP-976 on silo processes sharing a PostgreSQL database: PUT /admin/loggers/{name}?scope=cluster on one
/// silo sets the level on every running silo, scope=worker stays on its silo, and a silo that starts later applies only
/// the cluster-scoped levels set after it started (as a Connect worker ignores the older records of its config topic).</summary>
[Collection(BrokerCollection.Name)]
public sealed class ClusterLoggersTests(TestBroker broker, PostgresServer postgres)
    : IClassFixture<PostgresServer>, IAsyncLifetime
{
    // The silos poll every second; this leaves room for a slow machine.
    private static readonly TimeSpan Propagation = TimeSpan.FromSeconds(20);

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "oc-loggers-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..6];
    private SiloCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        _cluster = new SiloCluster(_dir, broker.BootstrapServers, postgres.ConnectionString);
        await _cluster.StartAsync(2);
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task A_cluster_level_set_through_one_silo_reaches_the_other_and_a_worker_level_stays_on_its_silo()
    {
        var a = _cluster[0].Client;
        var b = _cluster[1].Client;
        var ns = $"OrleansConnect.ClusterLoggers.{_suffix}";

        var put = await a.Put($"admin/loggers/{ns}?scope=cluster", """{"level":"debug"}""");
        AssertStatus(put, 204);
        Assert.Equal("", put.Text);

        // The silo that answered applied the level before answering.
        var onA = await a.Get($"admin/loggers/{ns}");
        AssertStatus(onA, 200);
        Assert.Equal("DEBUG", (string?)onA.Json!["level"]);
        Assert.NotNull((long?)onA.Json!["last_modified"]);

        var onB = await LevelOnAsync(b, ns, "DEBUG");
        var modifiedOnB = (long?)onB.Json!["last_modified"];
        Assert.NotNull(modifiedOnB); // set when B applied it, as a Connect worker stamps a level read from the config topic
        var listedOnB = await b.Get("admin/loggers");
        Assert.Equal("DEBUG", (string?)listedOnB.Json![ns]!["level"]);

        var worker = await a.Put($"admin/loggers/{ns}?scope=worker", """{"level":"ERROR"}""");
        AssertStatus(worker, 200);
        Assert.Equal([ns], worker.Array.Select(n => (string?)n));

        // A later cluster-scoped level reaching B shows B has polled past the worker-scoped change: had that been
        // shared, B would have it by now.
        var barrier = $"OrleansConnect.ClusterLoggers.Barrier.{_suffix}";
        AssertStatus(await a.Put($"admin/loggers/{barrier}?scope=cluster", """{"level":"WARN"}"""), 204);
        await LevelOnAsync(b, barrier, "WARN");

        Assert.Equal("ERROR", (string?)(await a.Get($"admin/loggers/{ns}")).Json!["level"]);
        var stillOnB = await b.Get($"admin/loggers/{ns}");
        Assert.Equal("DEBUG", (string?)stillOnB.Json!["level"]);
        Assert.Equal(modifiedOnB, (long?)stillOnB.Json!["last_modified"]);

        // And the other way round: a cluster-scoped level set through B overrides A's worker-scoped one.
        AssertStatus(await b.Put($"admin/loggers/{ns}?scope=cluster", """{"level":"TRACE"}"""), 204);
        Assert.Equal("TRACE", (string?)(await b.Get($"admin/loggers/{ns}")).Json!["level"]);
        await LevelOnAsync(a, ns, "TRACE");
    }

    [Fact]
    public async Task A_silo_started_later_applies_only_the_cluster_levels_set_after_it_started()
    {
        var earlier = $"OrleansConnect.ClusterLoggers.Earlier.{_suffix}";
        AssertStatus(await _cluster[0].Client.Put($"admin/loggers/{earlier}?scope=cluster", """{"level":"WARN"}"""), 204);
        await LevelOnAsync(_cluster[1].Client, earlier, "WARN");

        var newcomer = (await _cluster.AddSiloAsync()).Client;

        var later = $"OrleansConnect.ClusterLoggers.Later.{_suffix}";
        AssertStatus(await _cluster[1].Client.Put($"admin/loggers/{later}?scope=cluster", """{"level":"DEBUG"}"""), 204);
        await LevelOnAsync(newcomer, later, "DEBUG");
        // The newcomer has caught up past the earlier level, which it never applied: no such logger there.
        AssertError(await newcomer.Get($"admin/loggers/{earlier}"), 404, $"Logger {earlier} not found.");

        // A level set through the newcomer reaches the silos that were there before it.
        var fromNewcomer = $"OrleansConnect.ClusterLoggers.FromNewcomer.{_suffix}";
        AssertStatus(await newcomer.Put($"admin/loggers/{fromNewcomer}?scope=cluster", """{"level":"ERROR"}"""), 204);
        await LevelOnAsync(_cluster[0].Client, fromNewcomer, "ERROR");
        await LevelOnAsync(_cluster[1].Client, fromNewcomer, "ERROR");
    }

    private async Task<Reply> LevelOnAsync(HttpClient client, string logger, string level) =>
        await Eventually.Until(() => client.Get($"admin/loggers/{logger}"),
            r => r.Status == 200 && (string?)r.Json?["level"] == level, Propagation,
            r => $"{logger} at {level} on {client.BaseAddress}; last answer {r}\n{_cluster.Logs}");
}
