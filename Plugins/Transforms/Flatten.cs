using System.Collections;
using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Connector;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Connect.Plugins;
using OrleansConnect.Connect.Transforms;
using OrleansConnect.Plugins.Transforms.Util;

namespace OrleansConnect.Plugins.Transforms;

/// <summary>
/// Kafka's Flatten: nested structs (schema) or maps (schemaless) become top-level fields named parent + delimiter +
/// child, depth first. Arrays are left as they are; a leaf is optional when it or any ancestor is; struct fields of
/// type MAP and name collisions are errors. A null key/value is passed through unchanged.
/// </summary>
public abstract class Flatten<R> : ITransformation<R>, IVersioned where R : ConnectRecord
{
    public const string DelimiterConfig = "delimiter";
    public const string DelimiterDefault = ".";
    private const string Purpose = "flattening";

    public static readonly ConfigDef Definition = new ConfigDef()
        .Define(DelimiterConfig, ConfigType.String, DelimiterDefault, null, Importance.Medium,
            "Text placed between the names of a parent field and its child in the flattened field names.");

    private readonly SchemaUpdateCache<Schema> _schemaUpdateCache = new();
    private string _delimiter = DelimiterDefault;

    public ConfigDef Config => Definition;

    public string Version => AppInfo.KafkaVersion;

    protected abstract bool IsKey { get; }

    public void Configure(IReadOnlyDictionary<string, string?> configs)
    {
        var config = new SimpleConfig(Definition, configs);
        _delimiter = config.GetString(DelimiterConfig) ?? "";
    }

    public R? Apply(R record)
    {
        var value = RecordSide.OperatingValue(record, IsKey);
        if (value is null) return record;
        return RecordSide.OperatingSchema(record, IsKey) is null ? ApplySchemaless(record, value) : ApplyWithSchema(record, value);
    }

    public void Close()
    {
    }

    private string FieldName(string prefix, string name) => prefix.Length == 0 ? name : prefix + _delimiter + name;

    private R ApplySchemaless(R record, object operatingValue)
    {
        var value = Requirements.RequireMap(operatingValue, Purpose);
        var flattened = new Dictionary<object, object?>();
        FlattenMap(value, "", flattened);
        return RecordSide.NewRecord(record, IsKey, null, flattened);
    }

    private void FlattenMap(IDictionary original, string prefix, Dictionary<object, object?> result)
    {
        foreach (DictionaryEntry entry in original)
        {
            var key = entry.Key as string ?? Values.ToJavaString(entry.Key);
            var fieldName = FieldName(prefix, key);
            var value = entry.Value;
            if (value is null)
            {
                result[fieldName] = null;
                continue;
            }
            var inferred = Values.SchemaTypeFor(value) ?? throw new DataException(
                $"Flatten transformation was passed a value of type {value.GetType().FullName} which is not supported by Connect's data API");
            switch (inferred)
            {
                case SchemaType.Map:
                    FlattenMap((IDictionary)value, fieldName, result);
                    break;
                case SchemaType.Struct:
                    throw new DataException(
                        $"Flatten transformation does not support {value.GetType().FullName} for record without schemas (for field {fieldName}).");
                default:
                    // Primitives, bytes and arrays (with whatever they hold) are kept as they are.
                    result[fieldName] = value;
                    break;
            }
        }
    }

    private R ApplyWithSchema(R record, object operatingValue)
    {
        var value = Requirements.RequireStructOrNull(operatingValue, Purpose);
        var schema = RecordSide.OperatingSchema(record, IsKey)!;
        var updatedSchema = _schemaUpdateCache.GetOrAdd(schema, s =>
        {
            var builder = SchemaBuilder.CopySchemaBasics(s, SchemaBuilder.Struct());
            BuildUpdatedSchema(s, "", builder, s.IsOptional, s.DefaultValue as Struct);
            return builder.Build();
        });
        if (value is null) return RecordSide.NewRecord(record, IsKey, updatedSchema, null);
        var updatedValue = new Struct(updatedSchema);
        BuildWithSchema(value, "", updatedValue);
        return RecordSide.NewRecord(record, IsKey, updatedSchema, updatedValue);
    }

    private void BuildUpdatedSchema(Schema schema, string prefix, SchemaBuilder newSchema, bool optional, Struct? defaultFromParent)
    {
        foreach (var field in schema.Fields)
        {
            var fieldName = FieldName(prefix, field.Name);
            var fieldIsOptional = optional || field.Schema.IsOptional;
            var fieldDefault = field.Schema.DefaultValue ?? defaultFromParent?.Get(field.Name);
            switch (field.Schema.Type)
            {
                case SchemaType.Struct:
                    BuildUpdatedSchema(field.Schema, fieldName, newSchema, fieldIsOptional, fieldDefault as Struct);
                    break;
                case SchemaType.Map:
                    throw new DataException(
                        $"Flatten transformation does not support {field.Schema.Type.ToConnectName()} for record with schemas (for field {fieldName}).");
                default:
                    newSchema.Field(fieldName, ConvertFieldSchema(field.Schema, fieldIsOptional, fieldDefault));
                    break;
            }
        }
    }

    /// <summary>The leaf schema: its own type and metadata, optional if any ancestor is, default from itself or the parent default.</summary>
    private static Schema ConvertFieldSchema(Schema original, bool optional, object? defaultValue)
    {
        var builder = original.Type switch
        {
            SchemaType.Array => SchemaBuilder.Array(original.ValueSchema),
            _ => SchemaBuilder.Type(original.Type),
        };
        SchemaBuilder.CopySchemaBasics(original, builder);
        if (optional) builder.Optional();
        if (defaultValue is not null) builder.DefaultValue(defaultValue);
        return builder.Build();
    }

    private void BuildWithSchema(Struct? value, string prefix, Struct result)
    {
        if (value is null) return;
        foreach (var field in value.Schema.Fields)
        {
            var fieldName = FieldName(prefix, field.Name);
            switch (field.Schema.Type)
            {
                case SchemaType.Struct:
                    BuildWithSchema(value.GetStruct(field.Name), fieldName, result);
                    break;
                case SchemaType.Map:
                    throw new DataException(
                        $"Flatten transformation does not support {field.Schema.Type.ToConnectName()} for record with schemas (for field {fieldName}).");
                default:
                    result.Put(fieldName, value.Get(field));
                    break;
            }
        }
    }

    /// <summary>Flatten$Key: flattens the record key.</summary>
    [PluginName("org.apache.kafka.connect.transforms.Flatten$Key")]
    public sealed class Key : Flatten<R>
    {
        protected override bool IsKey => true;
    }

    /// <summary>Flatten$Value: flattens the record value.</summary>
    [PluginName("org.apache.kafka.connect.transforms.Flatten$Value")]
    public sealed class Value : Flatten<R>
    {
        protected override bool IsKey => false;
    }
}
