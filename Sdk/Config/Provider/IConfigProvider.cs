namespace OrleansConnect.Connect.Config.Provider;

/// <summary>
/// Supplies values for <c>${provider:[path:]key}</c> references in connector configs (Kafka's ConfigProvider, KIP-297).
/// A worker names its providers in <c>config.providers</c> and gives each a class
/// (<c>config.providers.&lt;name&gt;.class</c>) and parameters (<c>config.providers.&lt;name&gt;.param.*</c>, passed to
/// <see cref="Configure"/> without the prefix). Implementations are found in plugin assemblies the way connectors are,
/// need a public parameterless constructor and may be named by <c>[PluginName]</c>. One instance serves every connector
/// of the silo, from several threads at once.
/// </summary>
public interface IConfigProvider : IDisposable
{
    /// <summary>Called once, before any lookup, with the provider's parameters.</summary>
    void Configure(IReadOnlyDictionary<string, string> parameters);

    /// <summary>The values of <paramref name="keys"/> at <paramref name="path"/> (empty when the reference has no path).
    /// A key the provider does not know is left out of the result: the reference then stays as written, as in Kafka.
    /// Throw <see cref="ConfigException"/> when the path cannot be read; the task (or connector) then fails with the
    /// message.</summary>
    Task<ConfigData> GetAsync(string path, IReadOnlySet<string> keys, CancellationToken cancellationToken);
}

/// <summary>What a provider found: values by key, and how long they may be used (milliseconds; null = no limit).</summary>
public sealed record ConfigData(IReadOnlyDictionary<string, string> Data, long? TtlMs = null)
{
    public static ConfigData Empty { get; } = new(new Dictionary<string, string>());
}
