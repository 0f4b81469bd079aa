using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Config.Provider;
using OrleansConnect.Connect.Plugins;

namespace OrleansConnect.Grains.Security.Providers;

/// <summary>Kafka's DirectoryConfigProvider: <c>${dir:/path/to/dir:file}</c> is the content of the regular file
/// <c>file</c> directly in the directory (Kubernetes and Docker secrets mount this way). allowed.paths as for files.</summary>
[PluginName("org.apache.kafka.common.config.provider.DirectoryConfigProvider")]
public sealed class DirectoryConfigProvider : IConfigProvider
{
    private PathConfinement _allowed = new([]);

    public void Configure(IReadOnlyDictionary<string, string> parameters) =>
        _allowed = AllowedPaths.From(parameters);

    public async Task<ConfigData> GetAsync(string path, IReadOnlySet<string> keys, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(path) || !_allowed.IsAllowed(path)) return ConfigData.Empty;
        if (!Directory.Exists(path)) throw new ConfigException($"Could not list directory {path}");
        var data = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            // Only a file directly in the directory: a key cannot walk out of it.
            if (key.Length == 0 || key.Contains('/') || key is "." or "..") continue;
            var file = Path.Combine(path, key);
            if (!File.Exists(file) || !_allowed.IsAllowed(file)) continue;
            try { data[key] = await File.ReadAllTextAsync(file, cancellationToken); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ConfigException($"Could not read file {file}");
            }
        }
        return new ConfigData(data);
    }

    public void Dispose() { }
}
