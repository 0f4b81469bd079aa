using System.Text.RegularExpressions;
using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Config.Provider;
using OrleansConnect.Connect.Plugins;

namespace OrleansConnect.Grains.Security.Providers;

/// <summary>Kafka's EnvVarConfigProvider (KIP-887): <c>${env:NAME}</c> is the silo's environment variable NAME. The
/// parameter allowlist.pattern (a regular expression matching whole names, default everything) limits which variables
/// references may read; a reference with a path gives nothing, as in Kafka.</summary>
[PluginName("org.apache.kafka.common.config.provider.EnvVarConfigProvider")]
public sealed class EnvVarConfigProvider : IConfigProvider
{
    public const string AllowlistPattern = "allowlist.pattern";
    private Regex _allowlist = new("^(?:.*)$");

    public void Configure(IReadOnlyDictionary<string, string> parameters)
    {
        if (!parameters.TryGetValue(AllowlistPattern, out var pattern) || pattern.Length == 0) return;
        try { _allowlist = new Regex("^(?:" + pattern + ")$"); }
        catch (ArgumentException e) { throw new ConfigException($"{AllowlistPattern}: {e.Message}"); }
    }

    public Task<ConfigData> GetAsync(string path, IReadOnlySet<string> keys, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(path)) return Task.FromResult(ConfigData.Empty);
        var data = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            if (!_allowlist.IsMatch(key)) continue;
            if (Environment.GetEnvironmentVariable(key) is { } value) data[key] = value;
        }
        return Task.FromResult(new ConfigData(data));
    }

    public void Dispose() { }
}
