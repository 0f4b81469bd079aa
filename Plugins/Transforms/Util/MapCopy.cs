using System.Collections;

namespace OrleansConnect.Plugins.Transforms.Util;

/// <summary>Schemaless maps as SMTs produce them: <c>Dictionary&lt;object, object?&gt;</c>, entries in input order.</summary>
public static class MapCopy
{
    public static Dictionary<object, object?> Of(IDictionary source)
    {
        var copy = new Dictionary<object, object?>(source.Count);
        foreach (DictionaryEntry entry in source) copy[entry.Key] = entry.Value;
        return copy;
    }

    /// <summary>The value under <paramref name="key"/>, or null when absent.</summary>
    public static object? Get(IDictionary map, string key) => map.Contains(key) ? map[key] : null;
}
