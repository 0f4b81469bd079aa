using Microsoft.Extensions.Logging;
using OrleansConnect.Connect.Config;
using OrleansConnect.Grains.Config;
using OrleansConnect.Grains.Plugins;

namespace OrleansConnect.Grains.Security;

/// <summary>What the grains do with secrets: which keys of a connector config are secret (PASSWORD in the framework's
/// or the connector's ConfigDef, or a Kafka password name, <see cref="SecretNames"/>), masking them for the REST API,
/// encrypting them for grain state, restoring "[hidden]" sent back by a client, and resolving config provider
/// references inside the silo when a connector or task starts. One per silo.</summary>
public sealed class ConnectorSecrets(PluginRegistry plugins, ConnectorConfigValidator validator, SecretCipher cipher, ConfigProviders providers,
    PathConfinement fileAllowedPaths, ILogger<ConnectorSecrets> logger)
{
    public SecretCipher Cipher => cipher;
    public PathConfinement FileAllowedPaths => fileAllowedPaths;

    /// <summary>The secret keys of a (stored or plain) config: only class names and key names are read.</summary>
    public HashSet<string> SecretKeys(IReadOnlyDictionary<string, string> config)
    {
        var result = new HashSet<string>(config.Keys.Where(SecretNames.IsSecretName), StringComparer.Ordinal);
        try
        {
            var nullable = config.ToDictionary(kv => kv.Key, kv => (string?)kv.Value);
            var desc = plugins.FindConnector(config.GetValueOrDefault(ConnectorConfig.ConnectorClass, ""));
            var defs = new List<ConfigDef> { validator.EnrichedFrameworkDef(desc?.Type == PluginType.Sink, nullable) };
            if (desc is not null) defs.Add(plugins.ConfigDefOf(desc));
            foreach (var key in defs.SelectMany(d => d.Keys))
                if (key.Type == ConfigType.Password) result.Add(key.Name);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A plugin that cannot describe itself leaves the name rules, which still cover Kafka's password keys.
            logger.LogDebug(e, "Could not read the ConfigDefs of {ConnectorClass}", config.GetValueOrDefault(ConnectorConfig.ConnectorClass));
        }
        return result;
    }

    /// <summary>The config as the REST API shows it: secret values are "[hidden]".</summary>
    public Dictionary<string, string> Mask(IReadOnlyDictionary<string, string> config, IReadOnlySet<string> secretKeys) =>
        config.ToDictionary(kv => kv.Key, kv => secretKeys.Contains(kv.Key) || SecretCipher.IsEncrypted(kv.Value) ? Password.Hidden : kv.Value);

    /// <summary>The config as grain state keeps it: secret values encrypted (when a key is configured).</summary>
    public Dictionary<string, string> Protect(IReadOnlyDictionary<string, string> config, IReadOnlySet<string> secretKeys) =>
        config.ToDictionary(kv => kv.Key, kv => secretKeys.Contains(kv.Key) ? cipher.Encrypt(kv.Key, kv.Value) : kv.Value);

    /// <summary>The stored config with its secrets decrypted (inside the silo only).</summary>
    public Dictionary<string, string> Reveal(IReadOnlyDictionary<string, string> stored) =>
        stored.ToDictionary(kv => kv.Key, kv => cipher.Decrypt(kv.Key, kv.Value));

    /// <summary>True when stored values should be written again (a rotated key, or a key configured since).</summary>
    public bool NeedsRewrite(IReadOnlyDictionary<string, string> stored, IReadOnlySet<string> secretKeys) =>
        stored.Any(kv => secretKeys.Contains(kv.Key) ? cipher.NeedsRewrite(kv.Value) : SecretCipher.IsEncrypted(kv.Value) && !cipher.Enabled);

    /// <summary>A client that read a config and sends it back gets "[hidden]" for secrets: such a value keeps the stored
    /// one, so GET → edit → PUT does not replace a password with the text "[hidden]".</summary>
    public Dictionary<string, string> RestoreHidden(IReadOnlyDictionary<string, string> incoming, IReadOnlyDictionary<string, string>? storedPlain)
    {
        var result = new Dictionary<string, string>(incoming);
        if (storedPlain is null) return result;
        foreach (var (key, value) in incoming)
            if (value == Password.Hidden && storedPlain.TryGetValue(key, out var stored)) result[key] = stored;
        return result;
    }

    /// <summary>Resolves ${provider:path:key} references (never stored, never returned by the API).</summary>
    public Task<Dictionary<string, string>> ResolveAsync(IReadOnlyDictionary<string, string> plain, string owner, CancellationToken cancellationToken) =>
        ConfigVariables.ResolveAsync(plain, providers.Providers, logger, owner, cancellationToken);

    /// <summary>file.allowed.paths for a FileStream connector's resolved config (null when allowed).</summary>
    public string? FileStreamRefusal(string? connectorClass, IReadOnlyDictionary<string, string?> config) =>
        connectorClass is null ? null : FileStreamConfinement.Refusal(plugins.FindConnector(connectorClass), config.GetValueOrDefault("file"), fileAllowedPaths);
}
