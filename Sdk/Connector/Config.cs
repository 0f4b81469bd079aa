namespace OrleansConnect.Connect.Connector;

using OrleansConnect.Connect.Config;

/// <summary>The result of a connector's config validation: one <see cref="ConfigValue"/> per config.</summary>
public sealed class Config
{
    public Config(IReadOnlyList<ConfigValue> configValues) =>
        ConfigValues = configValues ?? throw new ArgumentNullException(nameof(configValues));

    public IReadOnlyList<ConfigValue> ConfigValues { get; }
}
