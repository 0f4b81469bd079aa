using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.Serialization;
using OrleansConnect.Grains.Cluster;
using OrleansConnect.Grains.Worker;
using OrleansConnect.Silo.GrainStorage;

namespace OrleansConnect.Silo.Hosting;

/// <summary>Turns the worker config into an Orleans silo: membership, endpoints, grain state and reminders, timing,
/// serialization of the few non-Orleans types that cross grain calls, and the product's own task services.</summary>
public static class ConnectSiloBuilderExtensions
{
    public static ISiloBuilder UseConnectWorker(this ISiloBuilder silo, WorkerConfig config, SiloEndpoint endpoint, string dataDir)
    {
        var groupId = config.GetString(WorkerConfig.GroupId)!;
        silo.Configure<ClusterOptions>(o =>
        {
            o.ServiceId = groupId;
            o.ClusterId = groupId;
        });
        silo.Configure<SiloOptions>(o => o.SiloName = endpoint.WorkerId);
        ConfigureMembership(silo, config, endpoint);
        silo.Configure<ClusterMembershipOptions>(o =>
        {
            var probe = TimeSpan.FromMilliseconds(config.GetLong(WorkerConfig.MembershipProbePeriod));
            var death = TimeSpan.FromMilliseconds(config.GetLong(WorkerConfig.SiloDeathTimeout));
            o.ProbeTimeout = probe;
            o.NumMissedProbesLimit = Math.Max(1, (int)Math.Round(death / probe));
            // Orleans suppresses death votes while the suspect sent anything within MaxProbeTimeout x missed probes, and
            // stretches probes up to MaxProbeTimeout on a loaded silo. Its default (4 x the probe) made a paused silo
            // wait 12 s, and far longer on a busy machine, instead of the death timeout.
            o.MaxProbeTimeout = probe;
            // A silo declared dead is told through gossip at once; a silo that missed it reads the table this often.
            o.TableRefreshTimeout = TimeSpan.FromSeconds(Math.Max(2, probe.TotalSeconds * 2));
            o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(Math.Max(5, probe.TotalSeconds * 5));
            // Dead silos' rows are kept for a day (the dashboard shows them), not Orleans' week.
            o.DefunctSiloExpiration = TimeSpan.FromDays(1);
        });
        // The reconcile reminder ticks every reconcile.interval.ms (1 min by default, Orleans' minimum period). Orleans
        // refuses shorter periods, and warns when the minimum is lowered: only a user who chose a shorter interval sees that.
        var reconcile = TimeSpan.FromMilliseconds(config.GetLong(WorkerConfig.ReconcileInterval));
        if (reconcile < TimeSpan.FromMinutes(1)) silo.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = reconcile);
        silo.AddConnectSerialization();
        // Grain state and reminders: SQLite under data.dir for one silo, PostgreSQL for a cluster.
        var postgres = string.Equals(config.GetString(WorkerConfig.StorageProvider), "postgresql", StringComparison.OrdinalIgnoreCase);
        silo.UseConnectStorage(new ConnectStorageOptions
        {
            Vendor = postgres ? StorageVendor.PostgreSql : StorageVendor.Sqlite,
            ConnectionString = config.GetPassword(WorkerConfig.StorageConnectionString)?.Value
                ?? (postgres
                    ? throw new Connect.Config.ConfigException($"{WorkerConfig.StorageConnectionString} is required with {WorkerConfig.StorageProvider}=postgresql")
                    : $"Data Source={Path.Combine(dataDir, "orleansconnect.db")}"),
            Parts = StorageParts.Persistence | StorageParts.Reminders,
            MaxPoolSize = config.GetInt(WorkerConfig.StorageConnectionPoolMax),
        });
        silo.AddConnectTaskServices(config.IsClustered);
        if (config.GetBoolean(WorkerConfig.DashboardEnable)) silo.AddDashboard();
        return silo;
    }

    /// <summary>What Orleans' generated serializers do not cover: preview records carry JSON values as they are, and
    /// Npgsql's exceptions may cross a grain call.</summary>
    public static ISiloBuilder AddConnectSerialization(this ISiloBuilder silo)
    {
        silo.Services.AddSerializer(s => s.AddJsonSerializer(isSupported: t => t == typeof(JsonElement)));
        // Orleans serializes exceptions of other libraries (message, stack trace, inner exception) only from namespaces it
        // is told of: "Microsoft" (Microsoft.Data.Sqlite among them), "System" and "Azure" by default. Storage failures
        // reach grains as StorageFailedException, but one we did not wrap (a grain's own Npgsql call, a provider of
        // Orleans' that fails outside grain state and reminders) would otherwise turn into a CodecNotFoundException.
        silo.Services.Configure<ExceptionSerializationOptions>(o => o.SupportedNamespacePrefixes.Add("Npgsql"));
        return silo;
    }

    private static void ConfigureMembership(ISiloBuilder silo, WorkerConfig config, SiloEndpoint endpoint)
    {
        var provider = config.GetString(WorkerConfig.ClusterMembershipProvider)!.ToLowerInvariant();
        if (provider == "localhost")
        {
            silo.UseLocalhostClustering(endpoint.SiloPort, gatewayPort: 0);
            return;
        }
        silo.Configure<EndpointOptions>(o =>
        {
            o.SiloPort = endpoint.SiloPort;
            o.GatewayPort = 0; // the REST API is co-hosted in the silo: no Orleans clients connect
            o.AdvertisedIPAddress = endpoint.AdvertisedAddress;
            o.SiloListeningEndpoint = new IPEndPoint(IPAddress.Any, endpoint.SiloPort);
        });
        var connectionString = config.GetPassword(WorkerConfig.ClusterMembershipConnectionString)?.Value
            ?? (provider == "postgresql" ? config.GetPassword(WorkerConfig.StorageConnectionString)?.Value : null)
            ?? throw new Connect.Config.ConfigException($"{WorkerConfig.ClusterMembershipConnectionString} is required with {WorkerConfig.ClusterMembershipProvider}={provider}");
        if (provider == "redis")
        {
            silo.UseRedisClustering(o => o.ConfigurationOptions = StackExchange.Redis.ConfigurationOptions.Parse(connectionString));
        }
        else
        {
            silo.UseConnectStorage(new ConnectStorageOptions
            {
                Vendor = StorageVendor.PostgreSql,
                ConnectionString = connectionString,
                Parts = StorageParts.Clustering,
                // The same cap, and the same resulting string when membership uses the storage's: then one pool serves both.
                MaxPoolSize = config.GetInt(WorkerConfig.StorageConnectionPoolMax),
            });
        }
        // A store restarted empty (or rows deleted) would otherwise leave the cluster unable to declare anyone dead.
        silo.RestoreLostMembership();
        if (config.GetString(WorkerConfig.SiloTlsCertificatePath) is { Length: > 0 } certificatePath)
        {
            var password = config.GetPassword(WorkerConfig.SiloTlsCertificatePassword)?.Value;
            var certificate = X509CertificateLoader.LoadPkcs12FromFile(certificatePath, password);
            silo.UseTls(certificate, tls =>
            {
                // Mutual TLS among silos that share one certificate (or certificates the machine trusts).
                tls.RemoteCertificateMode = Orleans.Connections.Security.RemoteCertificateMode.RequireCertificate;
                tls.ClientCertificateMode = Orleans.Connections.Security.RemoteCertificateMode.RequireCertificate;
                tls.RemoteCertificateValidation = (remote, _, errors) =>
                    errors == SslPolicyErrors.None || remote.Thumbprint == certificate.Thumbprint;
            });
        }
    }
}
