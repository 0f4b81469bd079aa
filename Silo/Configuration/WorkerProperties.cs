using OrleansConnect.Connect.Config;
using System.Collections;

namespace OrleansConnect.Silo.Configuration;

/// <summary>The worker's settings: the properties file, then CONNECT_* environment variables on top (the
/// Confluent images' convention: CONNECT_BOOTSTRAP_SERVERS → bootstrap.servers).</summary>
public static class WorkerProperties
{
    public const string EnvironmentPrefix = "CONNECT_";

    public static Dictionary<string, string?> Load(string? path, IDictionary environment)
    {
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (path is not null)
            foreach (var (key, value) in PropertiesFile.Load(path)) result[key] = value;
        foreach (DictionaryEntry entry in environment)
        {
            if (entry.Key is string name && name.StartsWith(EnvironmentPrefix, StringComparison.Ordinal) && name.Length > EnvironmentPrefix.Length)
                result[KeyOf(name)] = entry.Value as string;
        }
        return result;
    }

    /// <summary>CONNECT_REST_ADVERTISED_HOST_NAME → rest.advertised.host.name.</summary>
    public static string KeyOf(string variable) => variable[EnvironmentPrefix.Length..].ToLowerInvariant().Replace('_', '.');
}
