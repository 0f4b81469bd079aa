using Orleans.Dashboard;
using OrleansConnect.Api;
using OrleansConnect.Api.SchemaRegistry;
using OrleansConnect.Api.Security;
using OrleansConnect.Grains.Config;
using OrleansConnect.Grains.Connectors;
using OrleansConnect.Grains.Interfaces;
using OrleansConnect.Grains.Interfaces.SchemaRegistry;
using OrleansConnect.Grains.Kafka;
using OrleansConnect.Grains.SchemaRegistry;
using OrleansConnect.Grains.Security;
using OrleansConnect.Grains.Offsets;
using OrleansConnect.Grains.Worker;
using OrleansConnect.Silo.Configuration;
using OrleansConnect.Silo.EmbeddedBroker;

namespace OrleansConnect.Silo.Hosting;

/// <summary>The silo host as one web application: the Connect worker's parts in dependency injection, the Orleans silo,
/// the REST API with its authentication, metrics and the dashboard.</summary>
public static class ConnectWorkerHostExtensions
{
    public static WebApplicationBuilder AddConnectWorker(this WebApplicationBuilder builder, ConnectHostSettings settings)
    {
        var config = settings.Worker;
        builder.Logging.ClearProviders();
        builder.Logging.AddConnectConsole();
        UnactionableLogFilter.Apply(builder.Logging);
        // Orleans and its resilience pipelines log every start-up step and placement at Information; the worker's own
        // lines are what an operator reads. /admin/loggers can still raise them.
        builder.Logging.AddFilter("Orleans", LogLevel.Warning).AddFilter("Polly", LogLevel.Warning)
            .AddFilter("OrleansConnect", LogLevel.Information); // "Orleans" is a prefix of our own categories too

        builder.WebHost.UseUrls([.. settings.Urls]);
        if (settings.RestCertificate is { } certificate)
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate));

        var services = builder.Services;
        services.AddSingleton(settings);
        services.AddSingleton(config);
        services.AddSingleton(settings.Plugins);
        services.AddSingleton(settings.ConnectorFiles);
        services.AddSingleton<SiloStopBudget>();
        services.AddSingleton<KafkaCluster>();
        services.AddSingleton(sp => new TopicAdmin(sp.GetRequiredService<KafkaCluster>().BootstrapServers, sp.GetRequiredService<KafkaCluster>().Embedded,
            config.ClientConfigs("admin"), sp.GetRequiredService<ILogger<TopicAdmin>>()));
        services.AddSingleton(sp => new KafkaOffsetBackingStore(sp.GetRequiredService<KafkaCluster>().BootstrapServers, config.GetString(WorkerConfig.OffsetStorageTopic)!,
            config.ClientConfigs("producer"), config.ClientConfigs("consumer"), sp.GetRequiredService<ILogger<KafkaOffsetBackingStore>>()));
        services.AddSingleton(sp => new ConnectWorker(config, sp.GetRequiredService<KafkaCluster>().BootstrapServers, sp.GetRequiredService<KafkaCluster>().Embedded,
            settings.Plugins, sp.GetRequiredService<KafkaOffsetBackingStore>(), sp.GetRequiredService<TopicAdmin>(), sp.GetRequiredService<ILoggerFactory>(), settings.WorkerId));
        services.AddSingleton<ConnectorConfigValidator>();
        services.AddSingleton(sp => new ConnectorSecrets(settings.Plugins, sp.GetRequiredService<ConnectorConfigValidator>(), settings.SecretCipher,
            settings.ConfigProviders, new PathConfinement(config.GetList(WorkerConfig.FileAllowedPaths)), sp.GetRequiredService<ILogger<ConnectorSecrets>>()));
        var workerInfo = new WorkerInfo(config.GetString(WorkerConfig.GroupId)!);
        services.AddSingleton(workerInfo);
        services.AddSingleton<IWorkerInfo>(workerInfo);

        // Hosted services start in this order and stop in the reverse one: the data.dir lock, the embedded broker's
        // restore and the offsets before the grain runtime; its stop (every task flushed and committed) before theirs.
        services.AddHostedService<DataDirectoryLockService>();
        services.AddSingleton<EmbeddedBrokerHost>();
        services.AddHostedService(sp => sp.GetRequiredService<EmbeddedBrokerHost>());
        services.AddSingleton<OffsetStoreLoader>();
        services.AddHostedService(sp => sp.GetRequiredService<OffsetStoreLoader>());
        builder.UseOrleans(silo => silo.UseConnectWorker(config, settings.SiloEndpoint, settings.DataDir));
        // Before the bootstrapper, which marks the silo ready: the API's hosted services start first (see ConnectApi).
        services.AddConnectApi();
        if (config.GetBoolean(WorkerConfig.MetricsEnable)) services.AddConnectTelemetry(settings.WorkerId);
        if (settings.Credentials is { } credentials) services.AddConnectApiBasicAuth(credentials);
        if (settings.Jwt is { } jwt) services.AddConnectApiJwtAuth(jwt);
        if (settings.ServesRegistry) AddSchemaRegistry(services, settings);
        services.AddHostedService<ConnectorBootstrapper>();
        services.Configure<ConnectApiOptions>(o =>
        {
            o.DashboardPath = config.GetBoolean(WorkerConfig.DashboardEnable) ? "/dashboard/" : null;
            // Connect's admin.listeners: empty means no admin endpoints (/admin/loggers); otherwise they stay on the REST listener.
            o.AdminEndpoints = !(config.Originals.TryGetValue("admin.listeners", out var adminListeners) && string.IsNullOrWhiteSpace(adminListeners));
        });
        // Tasks share task.shutdown.graceful.timeout.ms; the rest of the grain runtime gets 2 s more (SiloStopBudget).
        services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(config.GetLong(WorkerConfig.TaskShutdownGracefulTimeout)) + TimeSpan.FromSeconds(2));
        return builder;
    }

    /// <summary>The schema registry on its own listener (docs/schema-registry.md). After the grain runtime, whose writer grain
    /// it calls, and before the bootstrapper: connectors whose converters use the registry find it serving.</summary>
    private static void AddSchemaRegistry(IServiceCollection services, ConnectHostSettings settings)
    {
        var config = settings.Worker;
        services.AddSingleton(sp => new SchemaStore(sp.GetRequiredService<KafkaCluster>().BootstrapServers, config.GetString(WorkerConfig.SchemaRegistryTopic)!,
            config.ClientConfigs("producer"), config.ClientConfigs("consumer"), sp.GetRequiredService<ILoggerFactory>().CreateLogger("OrleansConnect.SchemaRegistry")));
        services.AddSingleton<ISchemaRegistry>(sp => new LocalSchemaRegistry(sp.GetRequiredService<SchemaStore>(), sp.GetRequiredService<IGrainFactory>(),
            sp.GetRequiredService<TopicAdmin>(), config.GetShort(WorkerConfig.SchemaRegistryTopicReplicationFactor)));
        services.AddSingleton(new SchemaRegistryServerOptions { Urls = settings.RegistryUrls, Certificate = settings.RestCertificate });
        services.AddHostedService<SchemaRegistryServer>();
    }

    public static WebApplication MapConnectWorker(this WebApplication app)
    {
        var settings = app.Services.GetRequiredService<ConnectHostSettings>();
        app.MapConnectApi();
        if (settings.Worker.GetBoolean(WorkerConfig.MetricsEnable)) app.MapConnectMetrics();
        if (settings.Worker.GetBoolean(WorkerConfig.DashboardEnable)) app.MapOrleansDashboard(routePrefix: "/dashboard");
        app.Lifetime.ApplicationStarted.Register(() => LogStarted(app.Logger, settings));
        return app;
    }

    /// <summary>The console format of every line the silo writes, before and after the host exists.</summary>
    public static ILoggingBuilder AddConnectConsole(this ILoggingBuilder logging) =>
        logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff "; });

    private static void LogStarted(ILogger logger, ConnectHostSettings settings)
    {
        var urls = settings.Urls;
        logger.LogInformation("OrleansConnect silo {WorkerId} started; REST API on {Urls}; data in {DataDir}", settings.WorkerId, string.Join(", ", urls), settings.DataDir);
        if (settings.Credentials is { } credentials)
            logger.LogInformation("REST API authentication on: HTTP Basic against {CredentialsFile} ({Users} users), re-read when it changes",
                credentials.Path, credentials.UserCount);
        if (settings.Jwt is { } jwt)
            logger.LogInformation("REST API authentication on: bearer tokens signed with {KeyType} (issuer {Issuer}, audience {Audience})",
                jwt.SigningKey.GetType().Name, jwt.Issuer ?? "unchecked", jwt.Audience ?? "unchecked");
        // Basic credentials are only base64, and a bearer token is as good as a password: over plain HTTP anyone on the path reads them.
        var plain = urls.Where(u => u.StartsWith("http://", StringComparison.OrdinalIgnoreCase)).ToList();
        if ((settings.Credentials is not null || settings.Jwt is not null) && plain.Count > 0)
            logger.LogWarning("REST API authentication is on over plain HTTP ({Urls}): passwords and tokens cross the network readable; serve https:// listeners (docs/security.md)",
                string.Join(", ", plain));
    }
}
