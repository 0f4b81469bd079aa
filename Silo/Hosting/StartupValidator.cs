using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using OrleansConnect.Api.Security;
using OrleansConnect.Connect.Config;
using OrleansConnect.Grains.Config;
using OrleansConnect.Grains.Plugins;
using OrleansConnect.Grains.Security;
using OrleansConnect.Grains.Worker;
using OrleansConnect.Silo.Configuration;

namespace OrleansConnect.Silo.Hosting;

/// <summary>Every check a silo can make before it starts anything: the worker config and connector files, the REST
/// listener's certificate and users, the REST port, the plugins and config providers. A failure is a
/// <see cref="StartupException"/> whose message is the one line the operator reads. What needs a running part (the
/// data directory's lock, Kafka, storage, membership) is checked as that part starts.</summary>
public static class StartupValidator
{
    /// <summary>Usage: <c>[worker.properties] [connector.json|connector.properties ...]</c>; <c>--</c> switches are the
    /// host's (such as --urls), not ours.</summary>
    public static async Task<ConnectHostSettings> ValidateAsync(IReadOnlyList<string> args, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger("OrleansConnect.Silo");
        string? workerFile = null;
        var connectorArgs = new List<string>();
        foreach (var arg in args)
        {
            if (arg.StartsWith("--", StringComparison.Ordinal)) continue;
            if (workerFile is null && connectorArgs.Count == 0 && arg.EndsWith(".properties", StringComparison.OrdinalIgnoreCase) && !LooksLikeConnector(arg))
                workerFile = arg;
            else
                connectorArgs.Add(arg);
        }

        WorkerConfig worker;
        List<ConnectorConfigFile> connectorFiles;
        SecretCipher secretCipher;
        try
        {
            // ${file:...}, ${env:...} and ${dir:...} in the worker's own settings resolve with the built-in providers (KIP-297).
            worker = new WorkerConfig(await ConfigProviders.ResolveWorkerConfigAsync(
                WorkerProperties.Load(workerFile, Environment.GetEnvironmentVariables()), logger, cancellationToken));
            connectorFiles = connectorArgs.Select(ConnectorConfigFile.Load).ToList();
            // Kafka security settings librdkafka cannot take (JKS stores, Kerberos, handler classes) stop the start here.
            foreach (var client in new[] { "producer", "consumer", "admin" }) worker.ClientConfigs(client);
            secretCipher = worker.GetString(WorkerConfig.SecretsEncryptionKeyFile) is { Length: > 0 } keyFile
                ? new SecretCipher(SecretCipher.ReadKeyFile(WorkerConfig.SecretsEncryptionKeyFile, keyFile),
                    worker.GetString(WorkerConfig.SecretsEncryptionPreviousKeyFile) is { Length: > 0 } previousFile
                        ? SecretCipher.ReadKeyFile(WorkerConfig.SecretsEncryptionPreviousKeyFile, previousFile) : null)
                : SecretCipher.None;
        }
        catch (Exception e) when (e is ConfigException or FileNotFoundException or FormatException or System.Text.Json.JsonException)
        {
            throw Invalid(e.Message, e);
        }

        // Connect's REST extensions are Java classes; ignoring one (such as BasicAuthSecurityRestExtension) would leave the
        // API open to someone who believes it is protected.
        if (worker.Originals.TryGetValue("rest.extension.classes", out var restExtensions) && !string.IsNullOrWhiteSpace(restExtensions))
            throw Invalid($"rest.extension.classes ({restExtensions.Trim()}) is not supported: Java REST extensions cannot run here; " +
                "for authentication set rest.auth.basic.credentials.file or rest.auth.jwt.* (docs/security.md)");

        X509Certificate2? certificate = null;
        CredentialsStore? credentials = null;
        RestJwtSettings? jwt;
        try
        {
            if (RestTls.HasHttpsListener(worker.GetList(WorkerConfig.Listeners)))
                certificate = await RestTls.LoadAsync(worker, cancellationToken);
            if (worker.GetString(WorkerConfig.RestAuthBasicCredentialsFile) is { Length: > 0 } credentialsFile)
                credentials = await CredentialsStore.OpenAsync(credentialsFile, cancellationToken);
            jwt = await RestJwt.LoadAsync(worker, cancellationToken);
        }
        catch (Exception e) when (e is RestTlsException or CredentialsFileException or RestJwtException)
        {
            throw Invalid(e.Message, e);
        }

        // REST endpoint and the worker_id other silos and users see.
        var restHost = worker.GetString(WorkerConfig.RestHostName);
        var restPort = worker.GetInt(WorkerConfig.RestPort);
        if (restPort == 0) restPort = SiloEndpoint.FreePort();
        var listeners = worker.GetList(WorkerConfig.Listeners);
        string[] urls = listeners.Count > 0 ? listeners.ToArray() : [$"http://{(string.IsNullOrEmpty(restHost) ? "0.0.0.0" : restHost)}:{restPort}"];
        if (listeners.Count > 0 && Uri.TryCreate(listeners[0].Replace("://:", "://0.0.0.0:"), UriKind.Absolute, out var first)) restPort = first.Port;
        var advertisedHost = worker.GetString(WorkerConfig.RestAdvertisedHostName)
            ?? (string.IsNullOrEmpty(restHost) || restHost == "0.0.0.0" ? Dns.GetHostName() : restHost);
        var advertisedPort = worker.Get(WorkerConfig.RestAdvertisedPort) is int p ? p : restPort;
        // A port taken by another process is found before anything else starts (Kestrel would only find it last).
        if (RestPortProbe.InUse(urls) is { } taken)
            throw new StartupException($"The REST port is in use: {taken}; stop what listens there, or set rest.port (or listeners)");

        // The schema registry: on by default beside the embedded broker only (a real Kafka usually has a registry already).
        string[] registryUrls = [];
        if (worker.Get(WorkerConfig.SchemaRegistryEnable) is bool registryOn ? registryOn : worker.UsesEmbeddedBroker)
        {
            var registryListeners = worker.GetList(WorkerConfig.SchemaRegistryListeners);
            var registryPort = worker.GetInt(WorkerConfig.SchemaRegistryPort);
            if (registryPort == 0) registryPort = SiloEndpoint.FreePort();
            registryUrls = registryListeners.Count > 0 ? registryListeners.ToArray() : [$"http://{(string.IsNullOrEmpty(restHost) ? "0.0.0.0" : restHost)}:{registryPort}"];
            if (RestPortProbe.InUse(registryUrls) is { } registryTaken)
                throw new StartupException($"The schema registry port is in use: {registryTaken}; stop what listens there, set schema.registry.port " +
                    "(or schema.registry.listeners), or schema.registry.enable=false");
        }

        var plugins = new PluginRegistry(
            new[] { typeof(OrleansConnect.Plugins.File.FileStreamSourceConnector).Assembly }
                .Concat(PluginRegistry.LoadPluginPath(worker.GetList(WorkerConfig.PluginPath), logger)));
        try
        {
            var configProviders = ConfigProviders.Create(worker.Originals, plugins);
            var endpoint = SiloEndpoint.From(worker, $"{advertisedHost}:{advertisedPort}", advertisedHost);
            return new ConnectHostSettings(worker, connectorFiles, secretCipher, certificate, credentials, jwt, plugins, configProviders,
                Path.GetFullPath(worker.GetString(WorkerConfig.DataDir)!), urls, endpoint, registryUrls);
        }
        catch (Exception e) when (e is ConfigException or System.Net.Sockets.SocketException)
        {
            throw Invalid(e.Message, e);
        }
    }

    private static StartupException Invalid(string message, Exception? inner = null) => new($"Invalid configuration: {message}", inner);

    private static bool LooksLikeConnector(string path)
    {
        if (!File.Exists(path)) return false;
        var props = PropertiesFile.Load(path);
        return props.ContainsKey("connector.class");
    }
}
