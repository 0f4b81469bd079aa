using OrleansConnect.Tests.Infrastructure;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using OrleansConnect.Silo.Storage;

namespace OrleansConnect.Silo.Tests.Infrastructure;

/// <summary>A real Orleans silo in this process (generic host + UseOrleans) on the project's storage.</summary>
public sealed class TestSilo : IAsyncDisposable
{
    public const string ServiceId = "oc-storage-tests";

    private TestSilo(IHost host) => Host = host;

    public IHost Host { get; }

    public IGrainFactory Grains => Host.Services.GetRequiredService<IGrainFactory>();

    /// <summary>Builds and starts a silo. Without clustering in <paramref name="storage"/> it uses localhost
    /// clustering, like the embedded single-silo setup; ports are free ones so tests can run side by side.</summary>
    /// <param name="clustering">Membership on a store of its own (Parts = Clustering), instead of in
    /// <paramref name="storage"/> or localhost clustering.</param>
    public static async Task<TestSilo> StartAsync(ConnectStorageOptions storage, string clusterId = "oc-test",
        Action<ISiloBuilder>? configure = null, CancellationToken ct = default, ConnectStorageOptions? clustering = null)
    {
        var host = Build(storage, clusterId, configure, clustering);
        try
        {
            await host.StartAsync(ct);
        }
        catch
        {
            host.Dispose();
            throw;
        }
        return new TestSilo(host);
    }

    public static IHost Build(ConnectStorageOptions storage, string clusterId = "oc-test", Action<ISiloBuilder>? configure = null,
        ConnectStorageOptions? clustering = null) =>
        Microsoft.Extensions.Hosting.Host.CreateDefaultBuilder()
            .ConfigureLogging(logging => logging.ClearProviders().AddConsole().SetMinimumLevel(LogLevel.Warning))
            .UseOrleans(silo =>
            {
                var siloPort = FreePort();
                if (clustering is not null) silo.UseConnectStorage(clustering);
                if (storage.Parts.HasFlag(StorageParts.Clustering) || clustering is not null)
                {
                    silo.Configure<ClusterOptions>(o =>
                    {
                        o.ClusterId = clusterId;
                        o.ServiceId = ServiceId;
                    });
                    silo.ConfigureEndpoints(IPAddress.Loopback, siloPort, gatewayPort: 0);
                }
                else
                {
                    silo.UseLocalhostClustering(siloPort, gatewayPort: 0, serviceId: ServiceId, clusterId: clusterId);
                }
                silo.UseConnectStorage(storage);
                // Orleans refuses reminder periods under a minute unless this is lowered.
                silo.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromMilliseconds(500));
                configure?.Invoke(silo);
            })
            .Build();

    public async Task StopAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await Host.StopAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
        }
        Host.Dispose();
    }

    public static int FreePort() => TestPorts.Free();
}
