namespace OrleansConnect.Grains.Config;

/// <summary>Connect hands plugins and clients the keys under a prefix ("transforms.a.", "key.converter.",
/// "topic.creation.default.") with the prefix removed.</summary>
public static class ConfigPrefix
{
    public static Dictionary<string, string?> WithPrefixStripped(this IReadOnlyDictionary<string, string> config, string prefix) =>
        config.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[prefix.Length..], kv => (string?)kv.Value);
}
