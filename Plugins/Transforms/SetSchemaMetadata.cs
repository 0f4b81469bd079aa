using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Connector;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Plugins;
using OrleansConnect.Connect.Transforms;
using OrleansConnect.Plugins.Transforms.Util;

namespace OrleansConnect.Plugins.Transforms;

/// <summary>
/// Kafka's SetSchemaMetadata: sets the name and/or version of the key or value schema (everything else kept) and
/// re-homes a Struct value onto it. As in Kafka only STRUCT schemas work: any other schema type is an error
/// ("Cannot list fields on non-struct type"). A null schema with a null value passes through; with a value it is
/// an error.
/// </summary>
public abstract class SetSchemaMetadata<R> : ITransformation<R>, IVersioned where R : ConnectRecord
{
    public const string SchemaNameConfig = "schema.name";
    public const string SchemaVersionConfig = "schema.version";

    public static readonly ConfigDef Definition = new ConfigDef()
        .Define(SchemaNameConfig, ConfigType.String, null, null, Importance.High, "Name to give the schema.")
        .Define(SchemaVersionConfig, ConfigType.Int, null, null, Importance.High, "Version to give the schema.")
        .DefineReplaceNullWithDefault();

    private string? _schemaName;
    private int? _schemaVersion;
    private bool _replaceNullWithDefault = true;

    public ConfigDef Config => Definition;

    public string Version => AppInfo.KafkaVersion;

    protected abstract bool IsKey { get; }

    public void Configure(IReadOnlyDictionary<string, string?> configs)
    {
        var config = new SimpleConfig(Definition, configs);
        _schemaName = config.GetString(SchemaNameConfig);
        _schemaVersion = config.GetNullableInt(SchemaVersionConfig);
        _replaceNullWithDefault = config.GetBoolean(TransformConfig.ReplaceNullWithDefaultConfig);
        if (_schemaName is null && _schemaVersion is null) throw new ConfigException("Neither schema name nor version configured");
    }

    public R? Apply(R record)
    {
        var schema = RecordSide.OperatingSchema(record, IsKey);
        var value = RecordSide.OperatingValue(record, IsKey);
        if (schema is null && value is null) return record;
        Requirements.RequireSchema(schema, "updating schema metadata");
        var isArray = schema!.Type == SchemaType.Array;
        var isMap = schema.Type == SchemaType.Map;
        var updatedSchema = new Schema(
            schema.Type,
            schema.IsOptional,
            schema.DefaultValue,
            _schemaName ?? schema.Name,
            _schemaVersion ?? schema.Version,
            schema.Doc,
            schema.Parameters,
            schema.Fields, // throws for non-struct schemas, as Kafka's ConnectSchema.fields() does
            isMap ? schema.KeySchemaOrNull : null,
            isMap || isArray ? schema.ValueSchemaOrNull : null);
        return RecordSide.NewRecord(record, IsKey, updatedSchema, UpdateSchemaIn(value, updatedSchema));
    }

    private object? UpdateSchemaIn(object? value, Schema updatedSchema)
    {
        if (value is not Struct original) return value;
        var updated = new Struct(updatedSchema);
        foreach (var field in updatedSchema.Fields)
            updated.Put(field, TransformConfig.FieldValue(original, field.Name, _replaceNullWithDefault));
        return updated;
    }

    public void Close()
    {
    }

    /// <summary>SetSchemaMetadata$Key: updates the key schema.</summary>
    [PluginName("org.apache.kafka.connect.transforms.SetSchemaMetadata$Key")]
    public sealed class Key : SetSchemaMetadata<R>
    {
        protected override bool IsKey => true;
    }

    /// <summary>SetSchemaMetadata$Value: updates the value schema.</summary>
    [PluginName("org.apache.kafka.connect.transforms.SetSchemaMetadata$Value")]
    public sealed class Value : SetSchemaMetadata<R>
    {
        protected override bool IsKey => false;
    }
}
