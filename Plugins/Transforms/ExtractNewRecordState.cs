using System.Collections;
using System.Collections.Concurrent;
using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Connector;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Connect.Header;
using OrleansConnect.Connect.Plugins;
using OrleansConnect.Connect.Transforms;
using OrleansConnect.Plugins.Transforms.Util;

namespace OrleansConnect.Plugins.Transforms;

/// <summary>
/// Debezium's ExtractNewRecordState ("unwrap"): replaces a change event envelope (a value schema named
/// <c>*.Envelope</c>) with its <c>after</c> struct; the key is kept. Deletes and the tombstones after them follow
/// <c>delete.tombstone.handling.mode</c> (or, when that key is not set and one of them is, the legacy
/// <c>drop.tombstones</c> / <c>delete.handling.mode</c> of Debezium 1.x–3.1). Truncates (no before, no after) are
/// dropped. Other records with a value pass through unchanged; a null value is a tombstone whatever its topic.
/// <c>add.fields</c> / <c>add.headers</c> copy envelope fields (top level <c>op</c>, <c>ts_ms</c>, <c>ts_us</c>,
/// <c>ts_ns</c>; transaction <c>id</c>, <c>total_order</c>, <c>data_collection_order</c>; anything else from
/// <c>source</c>, or <c>struct.field</c>) into the value or the headers, <c>route.by.field</c> takes the topic from a
/// field of the row, and <c>drop.fields.header.name</c> names a header listing fields to remove.
/// </summary>
[PluginName("io.debezium.transforms.ExtractNewRecordState")]
public sealed class ExtractNewRecordState<R> : ITransformation<R>, IVersioned where R : ConnectRecord
{
    public const string DeleteTombstoneHandlingModeConfig = "delete.tombstone.handling.mode";
    public const string DropTombstonesConfig = "drop.tombstones";
    public const string DeleteHandlingModeConfig = "delete.handling.mode";
    public const string RouteByFieldConfig = "route.by.field";
    public const string AddFieldsPrefixConfig = "add.fields.prefix";
    public const string AddFieldsConfig = "add.fields";
    public const string AddHeadersPrefixConfig = "add.headers.prefix";
    public const string AddHeadersConfig = "add.headers";
    public const string DropFieldsHeaderNameConfig = "drop.fields.header.name";
    public const string DropFieldsFromKeyConfig = "drop.fields.from.key";
    public const string DropFieldsKeepSchemaCompatibleConfig = "drop.fields.keep.schema.compatible";

    public const string DeletedField = "__deleted";
    public const string EnvelopeSchemaSuffix = ".Envelope";
    private const string DefaultPrefix = "__";
    private const string AddFieldsPurpose = "source field insertion";

    private static readonly string[] Modes = ["drop", "tombstone", "rewrite", "rewrite-with-tombstone", "delete-to-tombstone"];
    private static readonly string[] LegacyModes = ["drop", "rewrite", "none"];

    public static readonly ConfigDef Definition = new ConfigDef()
        .Define(DeleteTombstoneHandlingModeConfig, ConfigType.String, "tombstone", BlankOr(Modes), Importance.Medium,
            "What becomes of deletes and of the tombstones after them: 'drop' drops both; 'tombstone' turns a delete into a " +
            "record with a null value (the schema kept) and drops the tombstone; 'rewrite' turns a delete into its 'before' " +
            "row with __deleted=\"true\" (other rows get \"false\") and drops the tombstone; 'rewrite-with-tombstone' does the " +
            "same and keeps the tombstone; 'delete-to-tombstone' turns a delete into a tombstone (null value and schema) and " +
            "drops the original tombstone. When set, the legacy keys are ignored.")
        .Define(DropTombstonesConfig, ConfigType.Boolean, true, null, Importance.Low,
            "Legacy (Debezium 3.1 and older): drop the tombstones after deletes. Used only when " +
            "delete.tombstone.handling.mode is not set and this key or delete.handling.mode is.")
        .Define(DeleteHandlingModeConfig, ConfigType.String, "drop", BlankOr(LegacyModes), Importance.Low,
            "Legacy (Debezium 3.1 and older): 'drop' drops deletes, 'none' passes them with a null value, 'rewrite' as the " +
            "rewrite mode. Used only when delete.tombstone.handling.mode is not set and this key or drop.tombstones is.")
        .Define(RouteByFieldConfig, ConfigType.String, "", null, Importance.Low,
            "A field of the row ('before' for deletes) whose value becomes the topic; a null or blank value keeps the topic.")
        .Define(AddFieldsPrefixConfig, ConfigType.String, DefaultPrefix, null, Importance.Low, "Prefix of the fields add.fields adds.")
        .Define(AddFieldsConfig, ConfigType.List, new List<string>(), null, Importance.Low,
            "Envelope fields to add to the value, e.g. 'op,table,lsn,source.ts_ms' adds __op, __table, __lsn and " +
            "__source_ts_ms; 'field:name' names the new field (prefix + name). A field the envelope lacks is not added.")
        .Define(AddHeadersPrefixConfig, ConfigType.String, DefaultPrefix, null, Importance.Low, "Prefix of the headers add.headers adds.")
        .Define(AddHeadersConfig, ConfigType.List, new List<string>(), null, Importance.Low,
            "Envelope fields to add as headers, named as in add.fields. A tombstone gets only the 'op' header, \"d\".")
        .Define(DropFieldsHeaderNameConfig, ConfigType.String, null, null, Importance.Low,
            "A header whose value is a list of field names to remove from the value.")
        .Define(DropFieldsFromKeyConfig, ConfigType.Boolean, false, null, Importance.Low,
            "Also remove the fields drop.fields.header.name lists from the key.")
        .Define(DropFieldsKeepSchemaCompatibleConfig, ConfigType.Boolean, true, null, Importance.Low,
            "true removes only the listed fields that are optional; false removes every listed field.")
        .DefineReplaceNullWithDefault();

    /// <summary>One of <paramref name="modes"/> ignoring case, or blank (which leaves the key unset, as Debezium 3.1 reads it).</summary>
    private static LambdaValidator BlankOr(string[] modes)
    {
        var valid = CaseInsensitiveValidString.In(modes);
        return LambdaValidator.With((name, value) =>
        {
            if (value is string s && s.Trim().Length == 0) return;
            valid.EnsureValid(name, value);
        }, () => "one of (case insensitive) " + string.Join(", ", modes));
    }

    private enum TombstoneAction { Drop, Keep }

    private enum DeleteAction { Drop, NullValue, Tombstone, Rewrite }

    // Keyed by the envelope schema: what add.fields / add.headers derive from it (rebuilt by Configure).
    private SchemaUpdateCache<SchemaUpdateCache<Schema>> _addFieldsSchemas = new();
    private SchemaUpdateCache<Schema?[]> _fieldSchemas = new();
    private SchemaUpdateCache<Schema?[]> _headerSchemas = new();
    private readonly ConcurrentDictionary<(bool IsKey, string Fields), ITransformation<R>> _dropFieldDelegates = new();
    private TombstoneAction _tombstones = TombstoneAction.Drop;
    private DeleteAction _deletes = DeleteAction.NullValue;
    private bool _rewrite;
    private string? _routeByField;
    private IReadOnlyList<FieldReference> _addFields = [];
    private IReadOnlyList<FieldReference> _addHeaders = [];
    private string? _dropFieldsHeader;
    private bool _dropFieldsFromKey;
    private bool _dropFieldsKeepSchemaCompatible = true;
    private ITransformation<R>? _markDeleted;
    private ITransformation<R>? _markNotDeleted;

    public ConfigDef Config => Definition;

    public string Version => AppInfo.KafkaVersion;

    public void Configure(IReadOnlyDictionary<string, string?> configs)
    {
        var config = new SimpleConfig(Definition, configs);
        if (IsSet(configs, DeleteTombstoneHandlingModeConfig) || (!IsSet(configs, DropTombstonesConfig) && !IsSet(configs, DeleteHandlingModeConfig)))
        {
            var mode = IsSet(configs, DeleteTombstoneHandlingModeConfig) ? config.GetString(DeleteTombstoneHandlingModeConfig)!.ToLowerInvariant() : "tombstone";
            (_tombstones, _deletes) = mode switch
            {
                "drop" => (TombstoneAction.Drop, DeleteAction.Drop),
                "tombstone" => (TombstoneAction.Drop, DeleteAction.NullValue),
                "rewrite" => (TombstoneAction.Drop, DeleteAction.Rewrite),
                "rewrite-with-tombstone" => (TombstoneAction.Keep, DeleteAction.Rewrite),
                _ => (TombstoneAction.Drop, DeleteAction.Tombstone),
            };
        }
        else
        {
            _tombstones = config.GetBoolean(DropTombstonesConfig) ? TombstoneAction.Drop : TombstoneAction.Keep;
            _deletes = (IsSet(configs, DeleteHandlingModeConfig) ? config.GetString(DeleteHandlingModeConfig)!.ToLowerInvariant() : "drop") switch
            {
                "drop" => DeleteAction.Drop,
                "none" => DeleteAction.NullValue,
                _ => DeleteAction.Rewrite,
            };
        }
        _rewrite = _deletes == DeleteAction.Rewrite;

        var route = config.GetString(RouteByFieldConfig);
        _routeByField = string.IsNullOrEmpty(route) ? null : route;
        _addFields = FieldReference.Parse(AddFieldsConfig, config.GetString(AddFieldsPrefixConfig) ?? "", config.GetList(AddFieldsConfig));
        _addHeaders = FieldReference.Parse(AddHeadersConfig, config.GetString(AddHeadersPrefixConfig) ?? "", config.GetList(AddHeadersConfig));
        var dropHeader = config.GetString(DropFieldsHeaderNameConfig);
        _dropFieldsHeader = string.IsNullOrWhiteSpace(dropHeader) ? null : dropHeader;
        _dropFieldsFromKey = config.GetBoolean(DropFieldsFromKeyConfig);
        _dropFieldsKeepSchemaCompatible = config.GetBoolean(DropFieldsKeepSchemaCompatibleConfig);

        var replaceNullWithDefault = config.GetBoolean(TransformConfig.ReplaceNullWithDefaultConfig);
        _markDeleted = DeletedMarker("true", replaceNullWithDefault);
        _markNotDeleted = DeletedMarker("false", replaceNullWithDefault);
        _dropFieldDelegates.Clear();
        _addFieldsSchemas = new();
        _fieldSchemas = new();
        _headerSchemas = new();
    }

    private static bool IsSet(IReadOnlyDictionary<string, string?> configs, string key) =>
        configs.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value);

    private static ITransformation<R> DeletedMarker(string value, bool replaceNullWithDefault)
    {
        var insert = new InsertField<R>.Value();
        insert.Configure(new Dictionary<string, string?>
        {
            [InsertField<R>.StaticFieldConfig] = DeletedField,
            [InsertField<R>.StaticValueConfig] = value,
            [TransformConfig.ReplaceNullWithDefaultConfig] = replaceNullWithDefault ? "true" : "false",
        });
        return insert;
    }

    public R? Apply(R record)
    {
        var isTombstone = record.Value is null;
        var isEnvelope = IsEnvelope(record.ValueSchema);
        if ((isEnvelope || isTombstone) && _addHeaders.Count > 0)
            record = WithHeaders(record, AddedHeaders(record));

        if (isTombstone) return _tombstones == TombstoneAction.Keep ? record : null;
        if (!isEnvelope) return record;

        var envelope = Requirements.RequireStruct(record.Value, "unwrapping the change event envelope");
        var afterField = EnvelopeField(envelope, "after");
        var after = envelope.Get(afterField);
        if (after is not null)
        {
            var unwrapped = WithValue(record, afterField.Schema, after);
            if (_rewrite) unwrapped = _markNotDeleted!.Apply(unwrapped)!;
            if (_routeByField is not null)
                unwrapped = Route(unwrapped, Requirements.RequireStruct(unwrapped.Value, "routing a create or update by field"));
            unwrapped = AddFields(envelope, unwrapped);
            return _dropFieldsHeader is null ? unwrapped : DropFields(unwrapped);
        }

        var beforeField = EnvelopeField(envelope, "before");
        var before = envelope.Get(beforeField);
        if (before is null) return null; // A truncate (or a message without a row): dropped, as Debezium does.

        R deleted;
        switch (_deletes)
        {
            case DeleteAction.Drop:
                return null;
            case DeleteAction.NullValue:
                deleted = WithValue(record, afterField.Schema, null);
                break;
            case DeleteAction.Tombstone:
                deleted = WithValue(record, null, null);
                break;
            default:
                deleted = WithValue(record, beforeField.Schema, before);
                if (deleted.Value is Struct) deleted = _markDeleted!.Apply(deleted)!;
                break;
        }
        if (_routeByField is not null)
            deleted = Route(deleted, Requirements.RequireStruct(before, "routing a delete by field"));
        if (_dropFieldsHeader is not null) deleted = DropFields(deleted);
        return deleted.Value is null ? deleted : AddFields(envelope, deleted);
    }

    /// <summary>Whether <paramref name="schema"/> is a Debezium change event envelope (its name ends with ".Envelope").</summary>
    public static bool IsEnvelope(Schema? schema) =>
        schema?.Name is { } name && name.EndsWith(EnvelopeSchemaSuffix, StringComparison.Ordinal);

    private static Field EnvelopeField(Struct envelope, string name) =>
        envelope.Schema.Field(name) ?? throw new DataException("Unknown field: " + name);

    private static R WithValue(R record, Schema? schema, object? value) =>
        (R)record.NewRecord(record.Topic, record.KafkaPartition, record.KeySchema, record.Key, schema, value, record.Timestamp);

    private static R WithHeaders(R record, ConnectHeaders headers) =>
        (R)record.NewRecord(record.Topic, record.KafkaPartition, record.KeySchema, record.Key, record.ValueSchema, record.Value,
            record.Timestamp, headers);

    private ConnectHeaders AddedHeaders(R record)
    {
        var headers = record.Headers.Duplicate();
        if (record.Value is not Struct envelope)
        {
            // A tombstone has no envelope: only the operation is known.
            foreach (var reference in _addHeaders.Where(r => r.Field == "op")) headers.AddString(reference.NewName, "d");
            return headers;
        }
        var schemas = _headerSchemas.GetOrAdd(envelope.Schema, s => _addHeaders.Select(r => r.SchemaIn(s)).ToArray());
        for (var i = 0; i < _addHeaders.Count; i++)
        {
            if (schemas[i] is { } schema) headers.Add(_addHeaders[i].NewName, _addHeaders[i].ValueIn(envelope), schema);
        }
        return headers;
    }

    private R Route(R record, Struct row)
    {
        var topic = row.GetString(_routeByField!);
        return string.IsNullOrWhiteSpace(topic)
            ? record
            : (R)record.NewRecord(topic, record.KafkaPartition, record.KeySchema, record.Key, record.ValueSchema, record.Value, record.Timestamp);
    }

    private R AddFields(Struct envelope, R unwrapped)
    {
        if (_addFields.Count == 0) return unwrapped;
        var value = Requirements.RequireStruct(unwrapped.Value, AddFieldsPurpose);
        var fieldSchemas = _fieldSchemas.GetOrAdd(envelope.Schema, s => _addFields.Select(r => r.SchemaIn(s)).ToArray());
        var schema = _addFieldsSchemas.GetOrAdd(envelope.Schema, _ => new SchemaUpdateCache<Schema>())
            .GetOrAdd(value.Schema, valueSchema =>
            {
                // Name, version, doc and parameters of the row's schema are kept; the result is a required struct.
                var builder = SchemaBuilder.CopySchemaBasics(valueSchema, SchemaBuilder.Struct());
                foreach (var field in valueSchema.Fields) builder.Field(field.Name, field.Schema);
                for (var i = 0; i < _addFields.Count; i++)
                {
                    if (fieldSchemas[i] is { } fieldSchema) builder.Field(_addFields[i].NewName, fieldSchema);
                }
                return builder.Build();
            });
        var updated = new Struct(schema);
        foreach (var field in value.Schema.Fields) updated.Put(field.Name, value.GetWithoutDefault(field));
        for (var i = 0; i < _addFields.Count; i++)
        {
            if (fieldSchemas[i] is not null) updated.Put(_addFields[i].NewName, _addFields[i].ValueIn(envelope));
        }
        return WithValue(unwrapped, schema, updated);
    }

    private R DropFields(R record)
    {
        var header = record.Headers.FirstOrDefault(h => h.Key == _dropFieldsHeader);
        if (header?.Value is null) return record;
        if (header.Value is string or not IEnumerable)
            throw new DataException($"The header '{_dropFieldsHeader}' ({DropFieldsHeaderNameConfig}) must hold a list of field names, found: "
                + Requirements.NullSafeClassName(header.Value));
        var names = new List<string>();
        foreach (var item in (IEnumerable)header.Value)
        {
            names.Add(item as string ?? throw new DataException(
                $"The header '{_dropFieldsHeader}' ({DropFieldsHeaderNameConfig}) must hold field names, found: {Requirements.NullSafeClassName(item)}"));
        }
        if (names.Count == 0) return record;

        if (_dropFieldsFromKey && record.Key is not null)
            record = DropFrom(record, isKey: true, FieldsToDrop(record.KeySchema, names));
        // A delete turned into a tombstone has no value to drop fields from.
        if (record.Value is not null)
            record = DropFrom(record, isKey: false, FieldsToDrop(record.ValueSchema, names));
        return record;
    }

    private List<string> FieldsToDrop(Schema? schema, List<string> names) =>
        !_dropFieldsKeepSchemaCompatible || schema is null
            ? names
            : schema.Fields.Where(f => f.Schema.IsOptional && names.Contains(f.Name)).Select(f => f.Name).ToList();

    private R DropFrom(R record, bool isKey, List<string> fields)
    {
        if (fields.Count == 0) return record;
        var replace = _dropFieldDelegates.GetOrAdd((isKey, string.Join(",", fields)), key =>
        {
            ITransformation<R> t = key.IsKey ? new ReplaceField<R>.Key() : new ReplaceField<R>.Value();
            t.Configure(new Dictionary<string, string?> { [ReplaceField<R>.ExcludeConfig] = key.Fields });
            return t;
        });
        if (_dropFieldDelegates.Count > 64) _dropFieldDelegates.Clear();
        return replace.Apply(record)!;
    }

    public void Close()
    {
        _markDeleted?.Close();
        _markNotDeleted?.Close();
        foreach (var t in _dropFieldDelegates.Values) t.Close();
        _dropFieldDelegates.Clear();
    }

    /// <summary>An add.fields / add.headers entry: <c>[struct.]field[:name]</c>. Without a struct, op and ts_ms/us/ns
    /// are top-level fields, id/total_order/data_collection_order the transaction's, anything else the source block's;
    /// a field missing from that struct is looked up at the top level (another SMT may have put it there).</summary>
    private sealed record FieldReference(string? Struct, string Field, string NewName)
    {
        public static IReadOnlyList<FieldReference> Parse(string key, string prefix, IReadOnlyList<string> entries)
        {
            var references = new List<FieldReference>();
            foreach (var raw in entries)
            {
                var entry = raw.Trim();
                if (entry.Length == 0) continue;
                var parts = entry.Split(':');
                if (parts.Length > 2 || parts.Any(p => p.Length == 0))
                    throw new ConfigException(key, string.Join(",", entries), $"'{entry}' is not [struct.]field or [struct.]field:name");
                var path = parts[0].Split('.');
                if (path.Length > 2 || path.Any(p => p.Length == 0))
                    throw new ConfigException(key, string.Join(",", entries), $"'{entry}' names more than a struct and a field");
                var field = path[^1];
                var structName = path.Length == 2 ? path[0] : StructOf(field);
                var newName = prefix + (parts.Length == 2 ? parts[1] : path.Length == 2 ? structName + "_" + field : field);
                references.Add(new FieldReference(structName, field, newName));
            }
            return references;
        }

        private static string? StructOf(string field) => field switch
        {
            "id" or "total_order" or "data_collection_order" => "transaction",
            "op" or "ts_ms" or "ts_us" or "ts_ns" => null,
            _ => "source",
        };

        private Schema ParentSchema(Schema envelopeSchema) =>
            Struct is null
                ? envelopeSchema
                : envelopeSchema.Field(Struct)?.Schema
                  ?? throw new DataException($"The change event envelope {envelopeSchema.Name} has no struct '{Struct}' (for '{Struct}.{Field}')");

        /// <summary>The optional schema of the added field or header (name, version, doc and parameters of the
        /// original; no default), or null when the envelope lacks the field.</summary>
        public Schema? SchemaIn(Schema envelopeSchema)
        {
            var field = ParentSchema(envelopeSchema).Field(Field) ?? envelopeSchema.Field(Field);
            if (field is null) return null;
            var original = field.Schema;
            var builder = original.Type switch
            {
                SchemaType.Array => SchemaBuilder.Array(original.ValueSchema),
                SchemaType.Map => SchemaBuilder.Map(original.KeySchema, original.ValueSchema),
                SchemaType.Struct => StructBuilder(original),
                _ => SchemaBuilder.Type(original.Type),
            };
            return SchemaBuilder.CopySchemaBasics(original, builder).Optional().Build();
        }

        private static SchemaBuilder StructBuilder(Schema original)
        {
            var builder = SchemaBuilder.Struct();
            foreach (var f in original.Fields) builder.Field(f.Name, f.Schema);
            return builder;
        }

        /// <summary>The field's value as set (no default); null when its struct (e.g. transaction) is null.</summary>
        public object? ValueIn(Struct envelope)
        {
            var parent = Struct is null ? envelope : envelope.GetWithoutDefault(Struct) as Struct;
            if (parent is null) return null;
            return parent.Schema.Field(Field) is { } own ? parent.GetWithoutDefault(own) : envelope.GetWithoutDefault(Field);
        }
    }
}
