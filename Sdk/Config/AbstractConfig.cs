namespace OrleansConnect.Connect.Config;

/// <summary>
/// Parsed, typed configuration of a component: the originals plus their values parsed by a <see cref="ConfigDef"/>.
/// The constructor throws <see cref="ConfigException"/> on any invalid or missing value.
/// </summary>
public class AbstractConfig
{
    private readonly Dictionary<string, string?> _originals;
    private readonly Dictionary<string, object?> _values;

    public AbstractConfig(ConfigDef definition, IReadOnlyDictionary<string, string?> originals)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(originals);
        Definition = definition;
        _originals = new Dictionary<string, string?>(originals);
        _values = definition.Parse(_originals);
    }

    public ConfigDef Definition { get; }

    public IReadOnlyDictionary<string, string?> Originals => _originals;

    /// <summary>Every defined key's parsed value.</summary>
    public IReadOnlyDictionary<string, object?> Values => _values;

    public object? Get(string key) =>
        _values.TryGetValue(key, out var value) ? value : throw new ConfigException($"Unknown configuration '{key}'");

    public string? GetString(string key) => (string?)Get(key);

    public int GetInt(string key) => (int)GetNonNull(key);

    public short GetShort(string key) => (short)GetNonNull(key);

    public long GetLong(string key) => (long)GetNonNull(key);

    public double GetDouble(string key) => (double)GetNonNull(key);

    public bool GetBoolean(string key) => (bool)GetNonNull(key);

    /// <summary>The LIST value; an unset (null) list reads as empty.</summary>
    public IReadOnlyList<string> GetList(string key) => Get(key) as IReadOnlyList<string> ?? [];

    public Password? GetPassword(string key) => (Password?)Get(key);

    public string? GetClass(string key) => (string?)Get(key);

    /// <summary>The originals whose key starts with <paramref name="prefix"/>, with the prefix stripped unless told otherwise.</summary>
    public Dictionary<string, string?> OriginalsWithPrefix(string prefix, bool strip = true)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var result = new Dictionary<string, string?>();
        foreach (var (key, value) in _originals)
        {
            if (key.StartsWith(prefix, StringComparison.Ordinal) && key.Length > prefix.Length)
                result[strip ? key[prefix.Length..] : key] = value;
        }
        return result;
    }

    public Dictionary<string, string?> OriginalsStrings() => new(_originals);

    private object GetNonNull(string key) =>
        Get(key) ?? throw new ConfigException(key, null, "Value must be non-null");

    public override bool Equals(object? obj) =>
        obj is AbstractConfig other && GetType() == other.GetType() &&
        _originals.Count == other._originals.Count &&
        _originals.All(kv => other._originals.TryGetValue(kv.Key, out var v) && v == kv.Value);

    public override int GetHashCode()
    {
        var hash = 0;
        foreach (var (key, value) in _originals) hash ^= HashCode.Combine(key, value);
        return hash;
    }
}
