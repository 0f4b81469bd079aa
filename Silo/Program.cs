using System.Net;
using System.Security.Cryptography.X509Certificates;
using Orleans.Dashboard;
using OrleansConnect.Api;
using OrleansConnect.Api.SchemaRegistry;
using OrleansConnect.Api.Security;
using OrleansConnect.Connect.Config;
using OrleansConnect.Grains.Config;
using OrleansConnect.Grains.Connectors;
using OrleansConnect.Grains.Interfaces;
using OrleansConnect.Grains.Kafka;
using OrleansConnect.Grains.Interfaces.SchemaRegistry;
using OrleansConnect.Grains.Plugins;
using OrleansConnect.Grains.SchemaRegistry;
using OrleansConnect.Grains.Security;
using OrleansConnect.Grains.Storage;
using OrleansConnect.Grains.Worker;
using OrleansConnect.Silo.Configuration;
using OrleansConnect.Silo.Hosting;
using OrleansConnect.Silo.Users;

// Usage: OrleansConnect.Silo [worker.properties] [connector.json|connector.properties ...]
//        OrleansConnect.Silo users add|remove|list --file <credentials file> ...
if (args.Length > 0 && args[0] == "users")
    return await UsersCommand.RunAsync(args[1..], Console.In, Console.Out, Console.Error, CancellationToken.None);

string? workerFile = null;
var connectorArgs = new List<string>();
foreach (var arg in args)
{
    if (arg.StartsWith("--", StringComparison.Ordinal)) continue; // host switches (e.g. --urls) are not ours
    if (workerFile is null && connectorArgs.Count == 0 && arg.EndsWith(".properties", StringComparison.OrdinalIgnoreCase) && !LooksLikeConnector(arg))
        workerFile = arg;
    else
        connectorArgs.Add(arg);
}

WorkerConfig workerConfig;
List<ConnectorConfigFile> connectorFiles;
SecretCipher secretCipher;
try
{
    // ${file:...}, ${env:...} and ${dir:...} in the worker's own settings resolve with the built-in providers (KIP-297).
    using var configLogger = LoggerFactory.Create(b => b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff "; }));
    workerConfig = new WorkerConfig(await ConfigProviders.ResolveWorkerConfigAsync(
        WorkerProperties.Load(workerFile, Environment.GetEnvironmentVariables()), configLogger.CreateLogger("OrleansConnect.Silo"), CancellationToken.None));
    connectorFiles = connectorArgs.Select(ConnectorConfigFile.Load).ToList();
    // Kafka security settings librdkafka cannot take (JKS stores, Kerberos, handler classes) stop the start here.
    foreach (var client in new[] { "producer", "consumer", "admin" }) workerConfig.ClientConfigs(client);
    secretCipher = workerConfig.GetString(WorkerConfig.SecretsEncryptionKeyFile) is { Length: > 0 } keyFile
        ? new SecretCipher(SecretCipher.ReadKeyFile(WorkerConfig.SecretsEncryptionKeyFile, keyFile),
            workerConfig.GetString(WorkerConfig.SecretsEncryptionPreviousKeyFile) is { Length: > 0 } previousFile
                ? SecretCipher.ReadKeyFile(WorkerConfig.SecretsEncryptionPreviousKeyFile, previousFile) : null)
        : SecretCipher.None;
}
catch (Exception e) when (e is ConfigException or FileNotFoundException or FormatException or System.Text.Json.JsonException)
{
    Console.Error.WriteLine($"Invalid configuration: {e.Message}");
    return 2;
}

// Connect's REST extensions are Java classes; ignoring one (such as BasicAuthSecurityRestExtension) would leave the API
// open to someone who believes it is protected.
if (workerConfig.Originals.TryGetValue("rest.extension.classes", out var restExtensions) && !string.IsNullOrWhiteSpace(restExtensions))
{
    Console.Error.WriteLine($"Invalid configuration: rest.extension.classes ({restExtensions.Trim()}) is not supported: Java REST extensions cannot run here; " +
        "for authentication set rest.auth.basic.credentials.file or rest.auth.jwt.* (docs/security.md)");
    return 2;
}

// The REST listener's certificate and users are checked before anything starts: a bad file or password is one line.
X509Certificate2? restCertificate = null;
CredentialsStore? credentials = null;
RestJwtSettings? jwt = null;
try
{
    if (RestTls.HasHttpsListener(workerConfig.GetList(WorkerConfig.Listeners)))
        restCertificate = await RestTls.LoadAsync(workerConfig, CancellationToken.None);
    if (workerConfig.GetString(WorkerConfig.RestAuthBasicCredentialsFile) is { Length: > 0 } credentialsFile)
        credentials = await CredentialsStore.OpenAsync(credentialsFile, CancellationToken.None);
    jwt = await RestJwt.LoadAsync(workerConfig, CancellationToken.None);
}
catch (Exception e) when (e is RestTlsException or CredentialsFileException or RestJwtException)
{
    Console.Error.WriteLine($"Invalid configuration: {e.Message}");
    return 2;
}

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
builder.Logging.ClearProviders();
builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff "; });
UnactionableLogFilter.Apply(builder.Logging);
// Orleans and its resilience pipelines log every start-up step and placement at Information; the worker's own
// lines are what an operator reads. /admin/loggers can still raise them.
builder.Logging.AddFilter("Orleans", LogLevel.Warning).AddFilter("Polly", LogLevel.Warning)
    .AddFilter("OrleansConnect", LogLevel.Information); // "Orleans" is a prefix of our own categories too
var startupLogger = LoggerFactory.Create(b => b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff "; }))
    .CreateLogger("OrleansConnect.Silo");

var dataDir = Path.GetFullPath(workerConfig.GetString(WorkerConfig.DataDir)!);
DataDirectoryLock dataDirLock;
try
{
    dataDirLock = DataDirectoryLock.Acquire(dataDir);
}
catch (DataDirectoryException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
using var releaseDataDir = dataDirLock;

// Kafka: the configured cluster, or the embedded Kafka-protocol broker for a bare machine.
EmbeddedKafkaBroker? embedded = null;
EmbeddedBrokerLog? embeddedLog = null;
string bootstrap;
if (workerConfig.UsesEmbeddedBroker)
{
    embedded = EmbeddedKafkaBroker.Start(workerConfig.GetInt(WorkerConfig.EmbeddedBrokerCount), workerConfig.GetInt(WorkerConfig.EmbeddedBrokerNumPartitions));
    bootstrap = embedded.BootstrapServers;
    startupLogger.LogInformation("Embedded Kafka broker listening on {BootstrapServers}", bootstrap);
    // The embedded broker lives in memory; its log in data.dir brings back what the last save held.
    try
    {
        embeddedLog = await EmbeddedBrokerLog.OpenAsync(embedded, dataDir,
            new EmbeddedBrokerLogOptions { OffsetTopics = [workerConfig.GetString(WorkerConfig.OffsetStorageTopic)!] }, startupLogger, CancellationToken.None);
    }
    catch (InvalidDataException e)
    {
        Console.Error.WriteLine($"Cannot restore the embedded Kafka broker: {e.Message}");
        embedded.Dispose();
        return 2;
    }
}
else
{
    bootstrap = string.Join(",", workerConfig.GetList(WorkerConfig.BootstrapServers));
}

// REST endpoint and the worker_id other silos and users see.
var restHost = workerConfig.GetString(WorkerConfig.RestHostName);
var restPort = workerConfig.GetInt(WorkerConfig.RestPort);
if (restPort == 0) restPort = SiloEndpoint.FreePort();
var listeners = workerConfig.GetList(WorkerConfig.Listeners);
var urls = listeners.Count > 0 ? listeners.ToArray() : [$"http://{(string.IsNullOrEmpty(restHost) ? "0.0.0.0" : restHost)}:{restPort}"];
if (listeners.Count > 0 && Uri.TryCreate(listeners[0].Replace("://:", "://0.0.0.0:"), UriKind.Absolute, out var first)) restPort = first.Port;
var advertisedHost = workerConfig.GetString(WorkerConfig.RestAdvertisedHostName) ?? (string.IsNullOrEmpty(restHost) || restHost == "0.0.0.0" ? Dns.GetHostName() : restHost);
var advertisedPort = workerConfig.Get(WorkerConfig.RestAdvertisedPort) is int p ? p : restPort;
var workerId = $"{advertisedHost}:{advertisedPort}";
builder.WebHost.UseUrls(urls);
if (restCertificate is not null)
    builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate = restCertificate));

// A port taken by another process is found before anything else starts (Kestrel would only find it last).
if (RestPortProbe.InUse(urls) is { } taken)
{
    Console.Error.WriteLine($"The REST port is in use: {taken}; stop what listens there, or set rest.port (or listeners)");
    await ReleaseUnservedAsync(embedded, embeddedLog);
    return 2;
}

// The schema registry: on by default beside the embedded broker only (a real Kafka usually has a registry already).
var registryEnabled = workerConfig.Get(WorkerConfig.SchemaRegistryEnable) is bool registryOn ? registryOn : workerConfig.UsesEmbeddedBroker;
string[] registryUrls = [];
if (registryEnabled)
{
    var registryListeners = workerConfig.GetList(WorkerConfig.SchemaRegistryListeners);
    var registryPort = workerConfig.GetInt(WorkerConfig.SchemaRegistryPort);
    if (registryPort == 0) registryPort = SiloEndpoint.FreePort();
    registryUrls = registryListeners.Count > 0 ? registryListeners.ToArray() : [$"http://{(string.IsNullOrEmpty(restHost) ? "0.0.0.0" : restHost)}:{registryPort}"];
    if (RestPortProbe.InUse(registryUrls) is { } registryTaken)
    {
        Console.Error.WriteLine($"The schema registry port is in use: {registryTaken}; stop what listens there, set schema.registry.port (or schema.registry.listeners), or schema.registry.enable=false");
        await ReleaseUnservedAsync(embedded, embeddedLog);
        return 2;
    }
}

// Offsets topic, offset store, plugins.
var topicAdmin = new TopicAdmin(bootstrap, embedded, workerConfig.ClientConfigs("admin"), startupLogger);
var offsetTopic = workerConfig.GetString(WorkerConfig.OffsetStorageTopic)!;
KafkaOffsetBackingStore offsetStore;
try
{
    await topicAdmin.EnsureTopicAsync(offsetTopic, workerConfig.GetInt(WorkerConfig.OffsetStoragePartitions),
        workerConfig.GetShort(WorkerConfig.OffsetStorageReplicationFactor), new Dictionary<string, string> { ["cleanup.policy"] = "compact" }, CancellationToken.None);
    offsetStore = new KafkaOffsetBackingStore(bootstrap, offsetTopic, workerConfig.ClientConfigs("producer"), workerConfig.ClientConfigs("consumer"), startupLogger);
    await offsetStore.ReadToEndAsync(CancellationToken.None);
}
catch (Exception e) when (e is Confluent.Kafka.KafkaException or TimeoutException)
{
    Console.Error.WriteLine($"Cannot reach Kafka at {bootstrap}: {e.Message}; check bootstrap.servers (empty starts the embedded broker)");
    await ReleaseUnservedAsync(embedded, embeddedLog);
    return 2;
}
var plugins = new PluginRegistry(
    new[] { typeof(OrleansConnect.Plugins.File.FileStreamSourceConnector).Assembly }
        .Concat(PluginRegistry.LoadPluginPath(workerConfig.GetList(WorkerConfig.PluginPath), startupLogger)));
ConfigProviders configProviders;
try
{
    configProviders = ConfigProviders.Create(workerConfig.Originals, plugins);
}
catch (ConfigException e)
{
    Console.Error.WriteLine($"Invalid configuration: {e.Message}");
    await ReleaseUnservedAsync(embedded, embeddedLog);
    return 2;
}
var clusterId = await KafkaClusterId.FetchAsync(bootstrap, TimeSpan.FromSeconds(10), CancellationToken.None, workerConfig.ClientConfigs("admin")) ?? "";

var groupId = workerConfig.GetString(WorkerConfig.GroupId)!;
var workerInfo = new WorkerInfo(groupId, clusterId);
SiloEndpoint siloEndpoint;
try
{
    siloEndpoint = SiloEndpoint.From(workerConfig, workerId, advertisedHost);
}
catch (Exception e) when (e is ConfigException or System.Net.Sockets.SocketException)
{
    Console.Error.WriteLine($"Invalid configuration: {e.Message}");
    await ReleaseUnservedAsync(embedded, embeddedLog);
    return 2;
}

builder.Services.AddSingleton(workerConfig);
builder.Services.AddSingleton(plugins);
builder.Services.AddSingleton(offsetStore);
builder.Services.AddSingleton(topicAdmin);
builder.Services.AddSingleton(sp => new ConnectWorker(workerConfig, bootstrap, embedded, plugins, offsetStore, topicAdmin,
    sp.GetRequiredService<ILoggerFactory>(), workerId));
builder.Services.AddSingleton<ConnectorConfigValidator>();
builder.Services.AddSingleton(sp => new ConnectorSecrets(plugins, sp.GetRequiredService<ConnectorConfigValidator>(), secretCipher, configProviders,
    new PathConfinement(workerConfig.GetList(WorkerConfig.FileAllowedPaths)), sp.GetRequiredService<ILogger<ConnectorSecrets>>()));
builder.Services.AddSingleton(workerInfo);
builder.Services.AddSingleton<IWorkerInfo>(workerInfo);
builder.Services.AddSingleton<IReadOnlyList<ConnectorConfigFile>>(connectorFiles);
builder.UseOrleans(silo => silo.UseConnectWorker(workerConfig, siloEndpoint, dataDir));
// Before the bootstrapper, which marks the silo ready: the API's hosted services start first (see ConnectApi).
builder.Services.AddConnectApi();
var metricsEnabled = workerConfig.GetBoolean(WorkerConfig.MetricsEnable);
if (metricsEnabled) builder.Services.AddConnectTelemetry(workerId);
if (credentials is not null) builder.Services.AddConnectApiBasicAuth(credentials);
if (jwt is not null) builder.Services.AddConnectApiJwtAuth(jwt);
if (registryEnabled)
{
    builder.Services.AddSingleton(sp => new SchemaStore(bootstrap, workerConfig.GetString(WorkerConfig.SchemaRegistryTopic)!, workerConfig.ClientConfigs("producer"),
        workerConfig.ClientConfigs("consumer"), sp.GetRequiredService<ILoggerFactory>().CreateLogger("OrleansConnect.SchemaRegistry")));
    builder.Services.AddSingleton<ISchemaRegistry>(sp => new LocalSchemaRegistry(sp.GetRequiredService<SchemaStore>(), sp.GetRequiredService<IGrainFactory>(),
        topicAdmin, workerConfig.GetShort(WorkerConfig.SchemaRegistryTopicReplicationFactor)));
    builder.Services.AddSingleton(new SchemaRegistryServerOptions { Urls = registryUrls, Certificate = restCertificate });
    // Before the bootstrapper: connectors whose converters use the registry find it serving.
    builder.Services.AddHostedService<SchemaRegistryServer>();
}
builder.Services.AddHostedService<ConnectorBootstrapper>();
// Connect's admin.listeners: empty means no admin endpoints (/admin/loggers); otherwise they stay on the REST listener.
builder.Services.Configure<ConnectApiOptions>(o => o.DashboardPath = workerConfig.GetBoolean(WorkerConfig.DashboardEnable) ? "/dashboard/" : null);
builder.Services.Configure<ConnectApiOptions>(o => o.AdminEndpoints =
    !(workerConfig.Originals.TryGetValue("admin.listeners", out var adminListeners) && string.IsNullOrWhiteSpace(adminListeners)));
// Docker sends SIGKILL 10 s after SIGTERM. Tasks share task.shutdown.graceful.timeout.ms (5 s) to flush and commit (see
// ConnectWorker.BeginShutdown); the rest of the grain runtime gets 2 s more, and the embedded broker's snapshot what is
// left of StopBudget.
var stopBudget = TimeSpan.FromSeconds(9.5);
builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(workerConfig.GetLong(WorkerConfig.TaskShutdownGracefulTimeout)) + TimeSpan.FromSeconds(2));

var app = builder.Build();
// Resolved now: the embedded broker's last save at shutdown needs it after the host has disposed its services.
var connectWorker = app.Services.GetRequiredService<ConnectWorker>();
using var stopSaving = new CancellationTokenSource();
var saveInterval = TimeSpan.FromMilliseconds(workerConfig.GetLong(WorkerConfig.EmbeddedBrokerSnapshotInterval));
var periodicSaves = embeddedLog is not null && saveInterval > TimeSpan.Zero
    ? embeddedLog.RunAsync(() => connectWorker.ConsumerGroups, saveInterval, stopSaving.Token)
    : Task.CompletedTask;
app.MapConnectApi();
if (metricsEnabled) app.MapConnectMetrics();
if (workerConfig.GetBoolean(WorkerConfig.DashboardEnable)) app.MapOrleansDashboard(routePrefix: "/dashboard");
var served = false;
app.Lifetime.ApplicationStarted.Register(() =>
{
    served = true;
    app.Logger.LogInformation("OrleansConnect silo {WorkerId} started; REST API on {Urls}; data in {DataDir}", workerId, string.Join(", ", urls), dataDir);
    if (credentials is not null)
        app.Logger.LogInformation("REST API authentication on: HTTP Basic against {CredentialsFile} ({Users} users), re-read when it changes",
            credentials.Path, credentials.UserCount);
    if (jwt is not null)
        app.Logger.LogInformation("REST API authentication on: bearer tokens signed with {KeyType} (issuer {Issuer}, audience {Audience})",
            jwt.SigningKey.GetType().Name, jwt.Issuer ?? "unchecked", jwt.Audience ?? "unchecked");
    // Basic credentials are only base64, and a bearer token is as good as a password: over plain HTTP anyone on the path reads them.
    if ((credentials is not null || jwt is not null) && urls.Any(u => u.StartsWith("http://", StringComparison.OrdinalIgnoreCase)))
        app.Logger.LogWarning("REST API authentication is on over plain HTTP ({Urls}): passwords and tokens cross the network readable; serve https:// listeners (docs/security.md)",
            string.Join(", ", urls.Where(u => u.StartsWith("http://", StringComparison.OrdinalIgnoreCase))));
});
var stopping = new System.Diagnostics.Stopwatch();
var stopRequested = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
var abandoned = false;
app.Lifetime.ApplicationStopping.Register(() =>
{
    stopping.Start();
    stopRequested.TrySetResult();
    connectWorker.BeginShutdown();
});

var exitCode = 0;
try
{
    try
    {
        await app.StartAsync();
    }
    catch (Exception e)
    {
        // Storage, membership or a listener that cannot start: one line that says what, and exit 2 (never a crash).
        Console.Error.WriteLine($"The silo could not start: {StartupFailure.Describe(e)}");
        exitCode = 2;
    }
    if (exitCode == 0)
    {
        var shutdown = app.WaitForShutdownAsync();
        await Task.WhenAny(shutdown, stopRequested.Task);
        // Orleans keeps retrying to write this silo's status while the membership store is down, past its shutdown
        // timeout (minutes). Nothing left to flush waits on it (a task that cannot confirm its membership commits
        // nothing anyway), so the process leaves once the budget is spent, as a kill would, within Docker's 10 s.
        var hostBudget = stopBudget - TimeSpan.FromSeconds(2) - stopping.Elapsed;
        if (await Task.WhenAny(shutdown, Task.Delay(hostBudget > TimeSpan.Zero ? hostBudget : TimeSpan.Zero)) == shutdown)
        {
            await shutdown;
            startupLogger.LogInformation("Grain runtime stopped in {Elapsed} ms", stopping.ElapsedMilliseconds);
        }
        else
        {
            startupLogger.LogWarning("The grain runtime did not stop within {Elapsed} ms (is the membership store reachable?); exiting without it",
                stopping.ElapsedMilliseconds);
            abandoned = true;
        }
    }
}
finally
{
    // The grain runtime has stopped every task (flushed and committed) before the host returns.
    await offsetStore.DisposeAsync();
    await stopSaving.CancelAsync();
    await periodicSaves;
    if (embedded is not null && !served)
    {
        // Nothing ran on the broker since its restore: the log it came from still holds its state.
        await ReleaseUnservedAsync(embedded, embeddedLog);
    }
    else if (embedded is not null && embeddedLog is not null)
    {
        try
        {
            // Bounded so that the process still exits inside the grace period; a save cut short leaves the log as the last
            // periodic save left it.
            var left = stopBudget - stopping.Elapsed;
            using var saveTimeout = new CancellationTokenSource(left > TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1));
            var saved = await embeddedLog.SaveAsync(connectWorker.ConsumerGroups, saveTimeout.Token);
            startupLogger.LogInformation("Saved the embedded Kafka broker to {Path}: {Topics} topics, {Records} records appended of {PartitionsRead} partitions, {GroupOffsets} group offsets changed, in {Elapsed} ms",
                Path.Combine(dataDir, EmbeddedBrokerLog.FileName), saved.Topics, saved.Records, saved.PartitionsRead, saved.GroupOffsets, (long)saved.Elapsed.TotalMilliseconds);
            // A stop is a good moment to drop what the broker no longer holds, if that is a fair share of the file.
            await embeddedLog.CompactIfWorthwhileAsync(1 << 20, saveTimeout.Token);
        }
        catch (Exception e)
        {
            startupLogger.LogError(e, "Could not save the embedded Kafka broker at stop; the next start restores what the last periodic save held");
        }
        await embeddedLog.DisposeAsync();
        embedded.Dispose();
    }
}
// Orleans' stop is still under way: leave without waiting for its threads.
if (abandoned) Environment.Exit(exitCode);
return exitCode;

// A start that ends before the silo served anything: no task ran, so the broker holds what its log holds.
static async Task ReleaseUnservedAsync(EmbeddedKafkaBroker? embedded, EmbeddedBrokerLog? log)
{
    if (log is not null) await log.DisposeAsync();
    embedded?.Dispose();
}

static bool LooksLikeConnector(string path)
{
    if (!File.Exists(path)) return false;
    var props = PropertiesFile.Load(path);
    return props.ContainsKey("connector.class");
}
