using System.Collections;
using System.Globalization;
using OrleansConnect.Connect.Data;

namespace OrleansConnect.Connect.Config;

/// <summary>
/// The definition of a component's configs (Kafka's ConfigDef): defines keys, parses string properties to typed
/// values with Kafka's rules, and validates them for the REST API (collecting errors instead of throwing).
/// </summary>
public sealed class ConfigDef
{
    /// <summary>The default value of a required config.</summary>
    public static readonly object NoDefaultValue = new NoDefault();

    private readonly Dictionary<string, ConfigKey> _keys = new();
    private readonly List<ConfigKey> _ordered = [];
    private readonly List<string> _groups = [];

    public ConfigDef() { }

    /// <summary>A copy of <paramref name="baseConfig"/>'s keys to extend.</summary>
    public ConfigDef(ConfigDef baseConfig)
    {
        ArgumentNullException.ThrowIfNull(baseConfig);
        foreach (var key in baseConfig._ordered) Define(key);
    }

    /// <summary>Every key by name (definition order is kept by <see cref="Keys"/>).</summary>
    public IReadOnlyDictionary<string, ConfigKey> ConfigKeys => _keys;

    /// <summary>Every key in definition order.</summary>
    public IReadOnlyList<ConfigKey> Keys => _ordered;

    public IReadOnlyList<string> Names => _ordered.Select(k => k.Name).ToList();

    /// <summary>Groups in order of first definition.</summary>
    public IReadOnlyList<string> Groups => _groups;

    public ConfigDef Define(ConfigKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (_keys.ContainsKey(key.Name)) throw new ConfigException($"Configuration {key.Name} is defined twice.");
        if (key.Group is not null && !_groups.Contains(key.Group)) _groups.Add(key.Group);
        _keys.Add(key.Name, key);
        _ordered.Add(key);
        return this;
    }

    public ConfigDef Define(
        string name,
        ConfigType type,
        object? defaultValue,
        IValidator? validator,
        Importance importance,
        string documentation,
        string? group = null,
        int orderInGroup = -1,
        Width width = Width.None,
        string? displayName = null,
        IReadOnlyList<string>? dependents = null,
        IRecommender? recommender = null) =>
        Define(new ConfigKey(name, type, ParseDefault(name, defaultValue, type), validator, importance, documentation,
            group, orderInGroup, width, displayName, dependents, recommender, internalConfig: false));

    /// <summary>A required config (no default).</summary>
    public ConfigDef Define(string name, ConfigType type, Importance importance, string documentation) =>
        Define(name, type, NoDefaultValue, null, importance, documentation);

    public ConfigDef Define(string name, ConfigType type, object? defaultValue, Importance importance, string documentation) =>
        Define(name, type, defaultValue, null, importance, documentation);

    public ConfigDef Define(string name, ConfigType type, object? defaultValue, Importance importance, string documentation,
        string? group, int orderInGroup, Width width, string? displayName) =>
        Define(name, type, defaultValue, null, importance, documentation, group, orderInGroup, width, displayName);

    /// <summary>A config left out of generated documentation (and the REST config listing).</summary>
    public ConfigDef DefineInternal(string name, ConfigType type, object? defaultValue, Importance importance) =>
        DefineInternal(name, type, defaultValue, null, importance, "");

    public ConfigDef DefineInternal(string name, ConfigType type, object? defaultValue, IValidator? validator,
        Importance importance, string documentation) =>
        Define(new ConfigKey(name, type, ParseDefault(name, defaultValue, type), validator, importance, documentation,
            null, -1, Width.None, name, null, null, internalConfig: true));

    private static object? ParseDefault(string name, object? defaultValue, ConfigType type) =>
        ReferenceEquals(defaultValue, NoDefaultValue) ? NoDefaultValue : ParseType(name, defaultValue, type);

    /// <summary>The parsed defaults of keys that have one.</summary>
    public Dictionary<string, object?> DefaultValues()
    {
        var result = new Dictionary<string, object?>();
        foreach (var key in _ordered)
        {
            if (key.HasDefault) result[key.Name] = key.DefaultValue;
        }
        return result;
    }

    /// <summary>
    /// Adds <paramref name="child"/>'s keys under <paramref name="keyPrefix"/> (how a connector config embeds a
    /// transformation's or predicate's configs). Groups become groupPrefix or "groupPrefix: childGroup", ordered from
    /// <paramref name="startingOrd"/>; validators and recommenders still see the unprefixed names.
    /// </summary>
    public ConfigDef Embed(string keyPrefix, string groupPrefix, int startingOrd, ConfigDef child)
    {
        ArgumentNullException.ThrowIfNull(keyPrefix);
        ArgumentNullException.ThrowIfNull(child);
        var order = startingOrd;
        foreach (var key in child.SortedConfigs())
        {
            Define(new ConfigKey(
                keyPrefix + key.Name,
                key.Type,
                key.HasDefault ? key.DefaultValue : NoDefaultValue,
                key.Validator is null ? null : new EmbeddedValidator(keyPrefix, key.Validator),
                key.Importance,
                key.Documentation,
                groupPrefix + (key.Group is null ? "" : ": " + key.Group),
                order++,
                key.Width,
                key.DisplayName,
                key.Dependents.Select(d => keyPrefix + d).ToList(),
                key.Recommender is null ? null : new EmbeddedRecommender(keyPrefix, key.Recommender),
                key.InternalConfig));
        }
        return this;
    }

    /// <summary>Keys sorted as Kafka documents them: by group order, order in group, required first, importance, name.</summary>
    public IReadOnlyList<ConfigKey> SortedConfigs()
    {
        var groupOrd = new Dictionary<string, int>();
        for (var i = 0; i < _groups.Count; i++) groupOrd[_groups[i]] = i;
        var list = new List<ConfigKey>(_ordered);
        list.Sort((k1, k2) =>
        {
            var cmp = k1.Group is null
                ? (k2.Group is null ? 0 : -1)
                : (k2.Group is null ? 1 : groupOrd[k1.Group].CompareTo(groupOrd[k2.Group]));
            if (cmp != 0) return cmp;
            cmp = k1.OrderInGroup.CompareTo(k2.OrderInGroup);
            if (cmp != 0) return cmp;
            if (!k1.HasDefault && k2.HasDefault) return -1;
            if (!k2.HasDefault && k1.HasDefault) return 1;
            cmp = k1.Importance.CompareTo(k2.Importance);
            return cmp != 0 ? cmp : string.CompareOrdinal(k1.Name, k2.Name);
        });
        return list;
    }

    /// <summary>
    /// Parses and validates every defined key (absent ones take their default). Throws the first
    /// <see cref="ConfigException"/>: a bad value, a failed validator, or a missing required config.
    /// </summary>
    public Dictionary<string, object?> Parse(IReadOnlyDictionary<string, string?> props)
    {
        ArgumentNullException.ThrowIfNull(props);
        var undefined = UndefinedDependentConfigs();
        if (undefined.Count > 0)
            throw new ConfigException("Some configurations in are referred in the dependents, but not defined: " + string.Join(",", undefined));
        var values = new Dictionary<string, object?>(_ordered.Count);
        foreach (var key in _ordered)
        {
            var isSet = props.TryGetValue(key.Name, out var raw);
            values[key.Name] = ParseValue(key, raw, isSet);
        }
        return values;
    }

    private static object? ParseValue(ConfigKey key, object? value, bool isSet)
    {
        object? parsed;
        if (isSet) parsed = ParseType(key.Name, value, key.Type);
        else if (!key.HasDefault) throw new ConfigException(MissingMessage(key.Name));
        else parsed = key.DefaultValue;
        key.Validator?.EnsureValid(key.Name, parsed);
        return parsed;
    }

    private static string MissingMessage(string name) => $"Missing required configuration \"{name}\" which has no default value.";

    /// <summary>
    /// Validates <paramref name="props"/> without throwing: one <see cref="ConfigValue"/> per defined key in definition
    /// order (unknown props are ignored), with parse, validator and missing-value errors, and recommenders applied.
    /// </summary>
    public List<ConfigValue> Validate(IReadOnlyDictionary<string, string?> props) => [.. ValidateAll(props).Values];

    /// <summary>As <see cref="Validate"/>, keyed by name (plus entries for dependents that are not defined).</summary>
    public Dictionary<string, ConfigValue> ValidateAll(IReadOnlyDictionary<string, string?> props)
    {
        ArgumentNullException.ThrowIfNull(props);
        var configValues = new Dictionary<string, ConfigValue>(_ordered.Count);
        foreach (var key in _ordered) configValues[key.Name] = new ConfigValue(key.Name);
        foreach (var undefined in UndefinedDependentConfigs())
        {
            var value = new ConfigValue(undefined) { Visible = false };
            value.AddErrorMessage($"{undefined} is referred in the dependents, but not defined.");
            configValues[undefined] = value;
        }

        var parsed = new Dictionary<string, object?>(_ordered.Count);
        foreach (var key in _ordered) parsed[key.Name] = ParseForValidate(key, props, configValues[key.Name]);

        foreach (var key in _ordered)
        {
            if (key.Recommender is null) continue;
            var configValue = configValues[key.Name];
            try
            {
                var recommended = key.Recommender.ValidValues(key.Name, parsed).ToList();
                if (configValue.RecommendedValues.Count > 0)
                {
                    var original = new HashSet<object>(configValue.RecommendedValues);
                    recommended.RemoveAll(o => !original.Contains(o));
                }
                configValue.RecommendedValues = recommended;
                configValue.Visible = key.Recommender.Visible(key.Name, parsed);
            }
            catch (ConfigException e)
            {
                configValue.AddErrorMessage(e.Message);
            }
        }
        return configValues;
    }

    private static object? ParseForValidate(ConfigKey key, IReadOnlyDictionary<string, string?> props, ConfigValue configValue)
    {
        object? value = null;
        if (props.TryGetValue(key.Name, out var raw))
        {
            try
            {
                value = ParseType(key.Name, raw, key.Type);
            }
            catch (ConfigException e)
            {
                configValue.AddErrorMessage(e.Message);
            }
        }
        else if (!key.HasDefault)
        {
            configValue.AddErrorMessage(MissingMessage(key.Name));
        }
        else
        {
            value = key.DefaultValue;
        }

        if (key.Validator is not null)
        {
            try
            {
                key.Validator.EnsureValid(key.Name, value);
            }
            catch (ConfigException e)
            {
                configValue.AddErrorMessage(e.Message);
            }
            catch (Exception e) when (e is InvalidCastException or ArgumentException or FormatException)
            {
                // A validator surprised by the value's shape must not break validation.
                configValue.AddErrorMessage(new ConfigException(key.Name, value, e.Message).Message);
            }
        }
        configValue.Value = value;
        return value;
    }

    private List<string> UndefinedDependentConfigs()
    {
        var undefined = new List<string>();
        foreach (var key in _ordered)
        {
            foreach (var dependent in key.Dependents)
            {
                if (!_keys.ContainsKey(dependent) && !undefined.Contains(dependent)) undefined.Add(dependent);
            }
        }
        return undefined;
    }

    /// <summary>
    /// Parses one value to <paramref name="type"/> with Kafka's rules: strings are trimmed (STRING and PASSWORD too),
    /// BOOLEAN accepts only true/false in any case, LIST splits on commas trimming each item ("" is an empty list).
    /// Non-string values of the right type pass through (defaults given in code). Null stays null.
    /// </summary>
    public static object? ParseType(string name, object? value, ConfigType type)
    {
        if (value is null) return null;
        var trimmed = value is string s ? JavaTrim(s) : null;
        switch (type)
        {
            case ConfigType.Boolean:
                if (trimmed is not null)
                {
                    if (trimmed.Equals("true", StringComparison.OrdinalIgnoreCase)) return true;
                    if (trimmed.Equals("false", StringComparison.OrdinalIgnoreCase)) return false;
                    throw new ConfigException(name, value, "Expected value to be either true or false");
                }
                if (value is bool) return value;
                throw new ConfigException(name, value, "Expected value to be either true or false");

            case ConfigType.Password:
                if (value is Password) return value;
                if (trimmed is not null) return new Password(trimmed);
                throw new ConfigException(name, value, "Expected value to be a string, but it was a " + value.GetType().FullName);

            case ConfigType.String:
                if (trimmed is not null) return trimmed;
                throw new ConfigException(name, value, "Expected value to be a string, but it was a " + value.GetType().FullName);

            case ConfigType.Int:
                if (value is int) return value;
                if (trimmed is not null)
                {
                    return int.TryParse(trimmed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i)
                        ? i
                        : throw new ConfigException(name, value, "Not a number of type INT");
                }
                if (TryIntegral(value, out var il) && il is >= int.MinValue and <= int.MaxValue) return (int)il;
                throw new ConfigException(name, value, "Expected value to be a 32-bit integer, but it was a " + value.GetType().FullName);

            case ConfigType.Short:
                if (value is short) return value;
                if (trimmed is not null)
                {
                    return short.TryParse(trimmed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var sh)
                        ? sh
                        : throw new ConfigException(name, value, "Not a number of type SHORT");
                }
                if (TryIntegral(value, out var sl) && sl is >= short.MinValue and <= short.MaxValue) return (short)sl;
                throw new ConfigException(name, value, "Expected value to be a 16-bit integer (short), but it was a " + value.GetType().FullName);

            case ConfigType.Long:
                if (value is long) return value;
                if (trimmed is not null)
                {
                    return long.TryParse(trimmed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)
                        ? l
                        : throw new ConfigException(name, value, "Not a number of type LONG");
                }
                if (TryIntegral(value, out var ll)) return ll;
                throw new ConfigException(name, value, "Expected value to be a 64-bit integer (long), but it was a " + value.GetType().FullName);

            case ConfigType.Double:
                if (value is double) return value;
                if (trimmed is not null)
                {
                    return TryParseJavaDouble(trimmed, out var d)
                        ? d
                        : throw new ConfigException(name, value, "Not a number of type DOUBLE");
                }
                switch (value)
                {
                    case float f: return (double)f;
                    case decimal m: return (double)m;
                }
                if (TryIntegral(value, out var dl)) return (double)dl;
                throw new ConfigException(name, value, "Expected value to be a double, but it was a " + value.GetType().FullName);

            case ConfigType.List:
                if (trimmed is not null) return SplitList(trimmed);
                if (value is IEnumerable items)
                {
                    var list = new List<string>();
                    foreach (var item in items)
                    {
                        list.Add(item as string ?? throw new ConfigException(name, value, "Expected a comma separated list."));
                    }
                    return list;
                }
                throw new ConfigException(name, value, "Expected a comma separated list.");

            case ConfigType.Class:
                if (trimmed is not null) return trimmed;
                if (value is Type t) return t.FullName;
                throw new ConfigException(name, value, "Expected a Class instance or class name.");

            default:
                throw new InvalidOperationException("Unknown type.");
        }
    }

    /// <summary>The string form of a parsed value (LIST joined by ",", PASSWORD "[hidden]", null stays null).</summary>
    public static string? ConvertToString(object? parsedValue, ConfigType type)
    {
        switch (parsedValue)
        {
            case null:
                return null;
            case string s:
                return s;
            case Password:
                return Password.Hidden;
            case bool b:
                return b ? "true" : "false";
            case double d:
                return Values.FormatDouble(d);
            case float f:
                return Values.FormatFloat(f);
            case Type t:
                return t.FullName;
        }
        if (type == ConfigType.List && parsedValue is IEnumerable items)
        {
            return string.Join(",", items.Cast<object?>().Select(Values.ToJavaString));
        }
        return Values.ToJavaString(parsedValue);
    }

    private static List<string> SplitList(string trimmed)
    {
        if (trimmed.Length == 0) return [];
        var parts = trimmed.Split(',');
        var list = new List<string>(parts.Length);
        foreach (var part in parts) list.Add(part.Trim(' ', '\t', '\n', '\v', '\f', '\r'));
        return list;
    }

    /// <summary>Java's String.trim: strips every char up to U+0020 from both ends.</summary>
    private static string JavaTrim(string s)
    {
        int start = 0, end = s.Length;
        while (start < end && s[start] <= ' ') start++;
        while (end > start && s[end - 1] <= ' ') end--;
        return start == 0 && end == s.Length ? s : s[start..end];
    }

    private static bool TryParseJavaDouble(string text, out double value)
    {
        // Java also accepts a trailing type suffix (1.5d, 2f).
        var t = text.Length > 1 && text[^1] is 'd' or 'D' or 'f' or 'F' && char.IsDigit(text[^2]) ? text[..^1] : text;
        return double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    private static bool TryIntegral(object value, out long result)
    {
        switch (value)
        {
            case int i: result = i; return true;
            case long l: result = l; return true;
            case short s: result = s; return true;
            case sbyte sb: result = sb; return true;
            case byte b: result = b; return true;
            case ushort us: result = us; return true;
            case uint ui: result = ui; return true;
            default: result = 0; return false;
        }
    }

    private sealed class NoDefault
    {
        public override string ToString() => "<no default>";
    }

    private sealed class EmbeddedValidator(string keyPrefix, IValidator inner) : IValidator
    {
        public void EnsureValid(string name, object? value) =>
            inner.EnsureValid(name.StartsWith(keyPrefix, StringComparison.Ordinal) ? name[keyPrefix.Length..] : name, value);

        public override string? ToString() => inner.ToString();
    }

    private sealed class EmbeddedRecommender(string keyPrefix, IRecommender inner) : IRecommender
    {
        public IReadOnlyList<object> ValidValues(string name, IReadOnlyDictionary<string, object?> parsedConfig) =>
            inner.ValidValues(Strip(name), Unprefixed(parsedConfig));

        public bool Visible(string name, IReadOnlyDictionary<string, object?> parsedConfig) =>
            inner.Visible(Strip(name), Unprefixed(parsedConfig));

        private string Strip(string name) =>
            name.StartsWith(keyPrefix, StringComparison.Ordinal) ? name[keyPrefix.Length..] : name;

        private Dictionary<string, object?> Unprefixed(IReadOnlyDictionary<string, object?> parsedConfig)
        {
            var result = new Dictionary<string, object?>();
            foreach (var (key, value) in parsedConfig)
            {
                if (key.StartsWith(keyPrefix, StringComparison.Ordinal)) result[key[keyPrefix.Length..]] = value;
            }
            return result;
        }
    }
}
