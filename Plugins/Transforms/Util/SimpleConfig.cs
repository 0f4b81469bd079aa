using OrleansConnect.Connect.Config;

namespace OrleansConnect.Plugins.Transforms.Util;

/// <summary>An AbstractConfig for plugins that need nothing beyond parsing their ConfigDef (Kafka's SimpleConfig).</summary>
public sealed class SimpleConfig(ConfigDef definition, IReadOnlyDictionary<string, string?> originals)
    : AbstractConfig(definition, originals)
{
    public int? GetNullableInt(string key) => (int?)Get(key);
}
