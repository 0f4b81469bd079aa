using System.Security.Cryptography.X509Certificates;
using OrleansConnect.Api.Security;
using OrleansConnect.Connect.Config;
using OrleansConnect.Grains.Plugins;
using OrleansConnect.Grains.Security;
using OrleansConnect.Grains.Worker;
using OrleansConnect.Silo.Configuration;

namespace OrleansConnect.Silo.Hosting;

/// <summary>What the command line and the worker config decide, checked by <see cref="StartupValidator"/> before anything
/// starts: the host is built from it.</summary>
public sealed record ConnectHostSettings(
    WorkerConfig Worker,
    IReadOnlyList<ConnectorConfigFile> ConnectorFiles,
    SecretCipher SecretCipher,
    X509Certificate2? RestCertificate,
    CredentialsStore? Credentials,
    RestJwtSettings? Jwt,
    PluginRegistry Plugins,
    ConfigProviders ConfigProviders,
    string DataDir,
    IReadOnlyList<string> Urls,
    SiloEndpoint SiloEndpoint,
    IReadOnlyList<string> RegistryUrls)
{
    public string WorkerId => SiloEndpoint.WorkerId;

    /// <summary>Whether this silo serves the schema registry (on <see cref="RegistryUrls"/>).</summary>
    public bool ServesRegistry => RegistryUrls.Count > 0;
}
