using System.Reflection;
using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Config.Provider;
using OrleansConnect.Connect.Plugins;
using OrleansConnect.Grains.Plugins;
using OrleansConnect.Grains.Security.Providers;

namespace OrleansConnect.Grains.Security;

/// <summary>The worker's config providers (KIP-297): <c>config.providers=file,env</c>, each with
/// <c>config.providers.&lt;name&gt;.class</c> (Kafka's class name, its simple name, or file / env / dir / directory)
/// and <c>config.providers.&lt;name&gt;.param.*</c>. Created once at startup; a wrong entry is a startup error.</summary>
public sealed class ConfigProviders : IDisposable
{
    public const string ProvidersKey = "config.providers";

    private static readonly Type[] BuiltIns = [typeof(FileConfigProvider), typeof(EnvVarConfigProvider), typeof(DirectoryConfigProvider)];

    private static readonly Dictionary<string, Type> ShortNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["file"] = typeof(FileConfigProvider),
        ["env"] = typeof(EnvVarConfigProvider),
        ["dir"] = typeof(DirectoryConfigProvider),
        ["directory"] = typeof(DirectoryConfigProvider),
    };

    public ConfigProviders(IReadOnlyDictionary<string, IConfigProvider> providers) => Providers = providers;

    public static ConfigProviders None { get; } = new(new Dictionary<string, IConfigProvider>());

    public IReadOnlyDictionary<string, IConfigProvider> Providers { get; }

    /// <summary>Resolves references in the worker's own settings (sasl.jaas.config=${file:...}), as Kafka resolves its
    /// worker config. Plugins are not loaded yet at that point: only the built-in providers serve, and a provider
    /// configured with a plugin class is skipped (its references stay as written). The config.providers.* keys
    /// themselves are never resolved.</summary>
    public static async Task<Dictionary<string, string?>> ResolveWorkerConfigAsync(IReadOnlyDictionary<string, string?> workerOriginals,
        Microsoft.Extensions.Logging.ILogger logger, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, string?>(workerOriginals);
        var candidates = workerOriginals.Where(kv => kv.Value is not null && !kv.Key.StartsWith(ProvidersKey, StringComparison.Ordinal)
            && ConfigVariables.HasVariables(kv.Value)).ToDictionary(kv => kv.Key, kv => kv.Value!);
        if (candidates.Count == 0) return result;
        using var providers = Create(workerOriginals, null, builtInsOnly: true);
        foreach (var (key, value) in await ConfigVariables.ResolveAsync(candidates, providers.Providers, logger, "Worker config", cancellationToken))
            result[key] = value;
        return result;
    }

    public static ConfigProviders Create(IReadOnlyDictionary<string, string?> workerOriginals, PluginRegistry? plugins, bool builtInsOnly = false)
    {
        var names = (workerOriginals.GetValueOrDefault(ProvidersKey) ?? "").Split(',').Select(n => n.Trim()).Where(n => n.Length > 0).Distinct().ToList();
        var providers = new Dictionary<string, IConfigProvider>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var classKey = $"{ProvidersKey}.{name}.class";
            var className = workerOriginals.GetValueOrDefault(classKey)?.Trim();
            if (string.IsNullOrEmpty(className)) throw new ConfigException($"{classKey} is not set; {ProvidersKey} names the provider '{name}'");
            var type = Find(className, plugins);
            if (type is null && builtInsOnly) continue;
            if (type is null) throw new ConfigException(
                $"{classKey}: no config provider class {className} (built in: {string.Join(", ", BuiltIns.Select(NameOf))}; others come from plugin.path)");
            var paramPrefix = $"{ProvidersKey}.{name}.param.";
            var parameters = workerOriginals.Where(kv => kv.Key.StartsWith(paramPrefix, StringComparison.Ordinal) && kv.Value is not null)
                .ToDictionary(kv => kv.Key[paramPrefix.Length..], kv => kv.Value!);
            var provider = (IConfigProvider)Activator.CreateInstance(type)!;
            try
            {
                provider.Configure(parameters);
            }
            catch (ConfigException e)
            {
                provider.Dispose();
                throw new ConfigException($"{paramPrefix}{e.Message}");
            }
            providers[name] = provider;
        }
        return new ConfigProviders(providers);
    }

    private static Type? Find(string className, PluginRegistry? plugins)
    {
        if (ShortNames.TryGetValue(className, out var shortType)) return shortType;
        var candidates = BuiltIns.Concat(plugins?.ConfigProviderTypes ?? []).ToList();
        return candidates.FirstOrDefault(t => NameOf(t) == className || t.FullName == className)
            ?? candidates.SingleOrDefault(t => NameOf(t).Split('.', '$')[^1] == className);
    }

    private static string NameOf(Type type) => type.GetCustomAttribute<PluginNameAttribute>()?.ClassName ?? type.FullName!;

    public void Dispose()
    {
        foreach (var provider in Providers.Values) provider.Dispose();
    }
}
