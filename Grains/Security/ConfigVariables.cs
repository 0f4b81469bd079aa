using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using OrleansConnect.Connect.Config.Provider;

namespace OrleansConnect.Grains.Security;

/// <summary>Resolves <c>${provider:[path:]key}</c> references as Kafka's ConfigTransformer does: every reference is
/// looked up once per provider and path; a reference whose provider is not configured, or whose key the provider does
/// not return, stays as written (and is logged); a provider that throws fails the whole resolution.</summary>
public static partial class ConfigVariables
{
    // Provider, optional path (up to the first colon, as Kafka's lazy pattern takes it), key; never across a '}'.
    [GeneratedRegex(@"\$\{([^}]*?):(?:([^}]*?):)?([^}]*?)\}")]
    private static partial Regex Pattern();

    public static bool HasVariables(string? value) => value is not null && Pattern().IsMatch(value);

    public static async Task<Dictionary<string, string>> ResolveAsync(IReadOnlyDictionary<string, string> config,
        IReadOnlyDictionary<string, IConfigProvider> providers, ILogger logger, string owner, CancellationToken cancellationToken)
    {
        var wanted = new Dictionary<(string Provider, string Path), HashSet<string>>();
        foreach (var value in config.Values)
        {
            foreach (Match m in Pattern().Matches(value))
            {
                var slot = (m.Groups[1].Value, m.Groups[2].Success ? m.Groups[2].Value : "");
                if (!wanted.TryGetValue(slot, out var keys)) wanted[slot] = keys = new HashSet<string>(StringComparer.Ordinal);
                keys.Add(m.Groups[3].Value);
            }
        }
        if (wanted.Count == 0) return new Dictionary<string, string>(config);

        var found = new Dictionary<(string, string), IReadOnlyDictionary<string, string>>();
        foreach (var ((providerName, path), keys) in wanted)
        {
            if (!providers.TryGetValue(providerName, out var provider)) continue;
            var data = await provider.GetAsync(path, keys, cancellationToken);
            found[(providerName, path)] = data.Data;
        }

        var result = new Dictionary<string, string>(config.Count, StringComparer.Ordinal);
        foreach (var (key, value) in config)
        {
            result[key] = Pattern().Replace(value, m =>
            {
                var slot = (m.Groups[1].Value, m.Groups[2].Success ? m.Groups[2].Value : "");
                if (found.TryGetValue(slot, out var data) && data.TryGetValue(m.Groups[3].Value, out var replacement)) return replacement;
                // The reference names the provider and path, never a value: it is safe to log.
                logger.LogWarning("{Owner}: config {ConfigKey} keeps the reference {Reference} as written: {Reason}", owner, key, m.Value,
                    providers.ContainsKey(slot.Item1) ? "the provider returned no value for it" : $"no config provider '{slot.Item1}' is configured (config.providers)");
                return m.Value;
            });
        }
        return result;
    }

    /// <summary>Kafka's reverse transform of task configs: a task value equal to the resolved value of a connector key
    /// that holds a reference gets the reference back, so that resolved secrets are never stored with the task configs.</summary>
    public static Dictionary<string, string> Unresolve(IReadOnlyDictionary<string, string> taskConfig,
        IReadOnlyDictionary<string, string> rawConnectorConfig, IReadOnlyDictionary<string, string> resolvedConnectorConfig)
    {
        var result = new Dictionary<string, string>(taskConfig);
        foreach (var (key, value) in taskConfig)
        {
            if (rawConnectorConfig.TryGetValue(key, out var raw) && HasVariables(raw)
                && resolvedConnectorConfig.TryGetValue(key, out var resolved) && resolved == value)
                result[key] = raw;
        }
        return result;
    }
}
