using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Connector;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Plugins;
using OrleansConnect.Connect.Transforms;
using OrleansConnect.Plugins.Transforms.Util;

namespace OrleansConnect.Plugins.Transforms;

/// <summary>
/// Kafka's ReplaceField: keeps the fields not in 'exclude' and (when 'include' is set) in 'include' - both matched
/// against the original names - then renames per 'renames' (old:new). The 3.x aliases 'blacklist'/'whitelist' are
/// accepted; when both an alias and its new key are set, the new key wins. A null key/value is passed through.
/// </summary>
public abstract class ReplaceField<R> : ITransformation<R>, IVersioned where R : ConnectRecord
{
    public const string ExcludeConfig = "exclude";
    public const string IncludeConfig = "include";
    public const string RenamesConfig = "renames";
    public const string BlacklistConfig = "blacklist";
    public const string WhitelistConfig = "whitelist";
    private const string Purpose = "field replacement";

    public static readonly ConfigDef Definition = new ConfigDef()
        .Define(ExcludeConfig, ConfigType.List, new List<string>(), null, Importance.Medium,
            "Fields to drop; this wins over 'include'.")
        .Define(BlacklistConfig, ConfigType.List, null, null, Importance.Low, "Deprecated alias of 'exclude'.")
        .Define(IncludeConfig, ConfigType.List, new List<string>(), null, Importance.Medium,
            "Fields to keep; when set, all other fields are dropped.")
        .Define(WhitelistConfig, ConfigType.List, null, null, Importance.Low, "Deprecated alias of 'include'.")
        .Define(RenamesConfig, ConfigType.List, new List<string>(),
            LambdaValidator.With((_, value) => ParseRenameMappings(value as IReadOnlyList<string> ?? []),
                () => "list of colon-delimited pairs, e.g. <code>foo:bar,abc:xyz</code>"),
            Importance.Medium, "Renames as old:new pairs.")
        .DefineReplaceNullWithDefault();

    private readonly SchemaUpdateCache<Schema> _schemaUpdateCache = new();
    private HashSet<string> _exclude = [];
    private HashSet<string> _include = [];
    private Dictionary<string, string> _renames = [];
    private Dictionary<string, string> _reverseRenames = [];
    private bool _replaceNullWithDefault = true;

    public ConfigDef Config => Definition;

    public string Version => AppInfo.KafkaVersion;

    protected abstract bool IsKey { get; }

    public void Configure(IReadOnlyDictionary<string, string?> configs)
    {
        var config = new SimpleConfig(Definition, TranslateDeprecated(configs));
        _exclude = new HashSet<string>(config.GetList(ExcludeConfig), StringComparer.Ordinal);
        _include = new HashSet<string>(config.GetList(IncludeConfig), StringComparer.Ordinal);
        _renames = ParseRenameMappings(config.GetList(RenamesConfig));
        _reverseRenames = new Dictionary<string, string>();
        foreach (var (from, to) in _renames) _reverseRenames[to] = from;
        _replaceNullWithDefault = config.GetBoolean(TransformConfig.ReplaceNullWithDefaultConfig);
    }

    /// <summary>Copies a deprecated alias onto its new key unless the new key is set itself.</summary>
    private static Dictionary<string, string?> TranslateDeprecated(IReadOnlyDictionary<string, string?> configs)
    {
        var result = new Dictionary<string, string?>(configs);
        foreach (var (target, alias) in new[] { (IncludeConfig, WhitelistConfig), (ExcludeConfig, BlacklistConfig) })
        {
            if (result.ContainsKey(target)) continue;
            if (result.TryGetValue(alias, out var aliasValue)) result[target] = aliasValue;
        }
        return result;
    }

    internal static Dictionary<string, string> ParseRenameMappings(IReadOnlyList<string> mappings)
    {
        var result = new Dictionary<string, string>();
        foreach (var mapping in mappings)
        {
            var parts = TransformConfig.JavaSplit(mapping, ':');
            if (parts.Length != 2) throw new ConfigException(RenamesConfig, mappings, "Invalid rename mapping: " + mapping);
            result[parts[0]] = parts[1];
        }
        return result;
    }

    private bool Filter(string fieldName) =>
        !_exclude.Contains(fieldName) && (_include.Count == 0 || _include.Contains(fieldName));

    private string Renamed(string fieldName) => _renames.GetValueOrDefault(fieldName, fieldName);

    private string ReverseRenamed(string fieldName) => _reverseRenames.GetValueOrDefault(fieldName, fieldName);

    public R? Apply(R record)
    {
        var value = RecordSide.OperatingValue(record, IsKey);
        if (value is null) return record;
        return RecordSide.OperatingSchema(record, IsKey) is null ? ApplySchemaless(record, value) : ApplyWithSchema(record, value);
    }

    private R ApplySchemaless(R record, object operatingValue)
    {
        var value = Requirements.RequireMap(operatingValue, Purpose);
        var updated = new Dictionary<object, object?>(value.Count);
        foreach (System.Collections.DictionaryEntry entry in value)
        {
            if (entry.Key is not string fieldName)
            {
                updated[entry.Key] = entry.Value;
                continue;
            }
            if (Filter(fieldName)) updated[Renamed(fieldName)] = entry.Value;
        }
        return RecordSide.NewRecord(record, IsKey, null, updated);
    }

    private R ApplyWithSchema(R record, object operatingValue)
    {
        var value = Requirements.RequireStruct(operatingValue, Purpose);
        var updatedSchema = _schemaUpdateCache.GetOrAdd(value.Schema, schema =>
        {
            var builder = SchemaBuilder.CopySchemaBasics(schema, SchemaBuilder.Struct());
            foreach (var field in schema.Fields)
            {
                if (Filter(field.Name)) builder.Field(Renamed(field.Name), field.Schema);
            }
            return builder.Build();
        });
        var updated = new Struct(updatedSchema);
        foreach (var field in updatedSchema.Fields)
            updated.Put(field, TransformConfig.FieldValue(value, ReverseRenamed(field.Name), _replaceNullWithDefault));
        return RecordSide.NewRecord(record, IsKey, updatedSchema, updated);
    }

    public void Close()
    {
    }

    /// <summary>ReplaceField$Key: filters and renames fields of the record key.</summary>
    [PluginName("org.apache.kafka.connect.transforms.ReplaceField$Key")]
    public sealed class Key : ReplaceField<R>
    {
        protected override bool IsKey => true;
    }

    /// <summary>ReplaceField$Value: filters and renames fields of the record value.</summary>
    [PluginName("org.apache.kafka.connect.transforms.ReplaceField$Value")]
    public sealed class Value : ReplaceField<R>
    {
        protected override bool IsKey => false;
    }
}
