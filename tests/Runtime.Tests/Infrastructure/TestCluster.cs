using Microsoft.Extensions.DependencyInjection;
using OrleansConnect.Runtime.Membership;

namespace OrleansConnect.Runtime.Tests.Infrastructure;

/// <summary>Several clustered silos in this process, sharing one SQLite file, talking over loopback HTTP/2.
/// Fast membership settings: probe every 200 ms, dead after 2 s of silence (not shorter: the test run loads the machine).</summary>
public sealed class TestCluster : IAsyncDisposable
{
    public const string Secret = "runtime-tests-cluster-secret";
    private static int _nextPort = 19000 + Environment.ProcessId % 500 * 10;

    private readonly string _dataDirectory;
    private readonly List<SiloHost> _silos = [];

    public TestCluster(string dataDirectory) => _dataDirectory = dataDirectory;

    public IReadOnlyList<SiloHost> Silos => _silos;

    public static void ClusterDefaults(GrainRuntimeOptions options, string dataDirectory, string siloId)
    {
        TestSilo.Defaults(options, dataDirectory);
        options.SiloId = siloId;
        options.Clustering = true;
        options.SiloPort = 0;
        options.SiloAdvertisedHost = "127.0.0.1";
        options.ClusterSecret = Secret;
        options.MembershipProbePeriod = TimeSpan.FromMilliseconds(200);
        options.SiloDeathTimeout = TimeSpan.FromMilliseconds(2000);
        options.EagerReactivation = true;
        options.ReminderRefreshPeriod = TimeSpan.FromSeconds(30);
        // The same tests against PostgreSQL: OC_TEST_POSTGRES="Host=127.0.0.1;Port=55432;Username=oc;Database=postgres".
        if (Environment.GetEnvironmentVariable("OC_TEST_POSTGRES") is { Length: > 0 } postgres)
        {
            options.StorageProvider = GrainRuntimeOptions.PostgreSql;
            options.ConnectionString = postgres;
        }
    }

    public async Task<SiloHost> StartSiloAsync(Action<GrainRuntimeOptions>? configure = null, string? siloId = null)
    {
        siloId ??= $"127.0.0.1:{Interlocked.Increment(ref _nextPort)}";
        var host = await SiloHost.StartAsync(o =>
        {
            ClusterDefaults(o, _dataDirectory, siloId);
            configure?.Invoke(o);
        });
        _silos.Add(host);
        return host;
    }

    internal static ClusterMembership Membership(SiloHost host) => host.Services.GetRequiredService<ClusterMembership>();

    /// <summary>Waits until every running silo sees <paramref name="count"/> active silos.</summary>
    public async Task WaitForActiveAsync(int count, IEnumerable<SiloHost>? among = null)
    {
        var silos = (among ?? _silos).ToList();
        await Poll.UntilAsync(() => silos.All(s => Membership(s).ActiveSilos.Count == count), $"{silos.Count} silos each see {count} active silos");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var silo in _silos) await silo.DisposeAsync();
    }
}
