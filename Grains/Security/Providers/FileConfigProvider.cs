using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Config.Provider;
using OrleansConnect.Connect.Plugins;

namespace OrleansConnect.Grains.Security.Providers;

/// <summary>Kafka's FileConfigProvider: <c>${file:/path/to/file.properties:key}</c> reads a key of a Java properties
/// file. With the parameter allowed.paths (comma list of directories), a file elsewhere gives no values (KIP-993).</summary>
[PluginName("org.apache.kafka.common.config.provider.FileConfigProvider")]
public sealed class FileConfigProvider : IConfigProvider
{
    private PathConfinement _allowed = new([]);

    public void Configure(IReadOnlyDictionary<string, string> parameters) =>
        _allowed = AllowedPaths.From(parameters);

    public async Task<ConfigData> GetAsync(string path, IReadOnlySet<string> keys, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(path) || !_allowed.IsAllowed(path)) return ConfigData.Empty;
        string text;
        try { text = await File.ReadAllTextAsync(path, cancellationToken); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"Could not read properties from file {path}");
        }
        var properties = PropertiesFile.Parse(text);
        return new ConfigData(keys.Where(properties.ContainsKey).ToDictionary(k => k, k => properties[k]));
    }

    public void Dispose() { }
}

/// <summary>The allowed.paths parameter of the file and directory providers: absolute directories that exist, as
/// Kafka requires; a wrong entry is a startup error.</summary>
internal static class AllowedPaths
{
    public const string Parameter = "allowed.paths";

    public static PathConfinement From(IReadOnlyDictionary<string, string> parameters)
    {
        if (!parameters.TryGetValue(Parameter, out var list) || string.IsNullOrWhiteSpace(list)) return new PathConfinement([]);
        foreach (var entry in list.Split(',').Select(e => e.Trim()).Where(e => e.Length > 0))
        {
            if (!Path.IsPathFullyQualified(entry) || !Directory.Exists(entry))
                throw new ConfigException($"{Parameter}: path {entry} is not valid. The path should be absolute and exist");
        }
        return PathConfinement.Parse(list);
    }
}
