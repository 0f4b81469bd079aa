using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Connector;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Connect.Plugins;
using OrleansConnect.Connect.Transforms;
using OrleansConnect.Plugins.Transforms.Util;

namespace OrleansConnect.Plugins.Transforms;

/// <summary>
/// Kafka's HeaderFrom: appends a header per listed field (fields[i] → headers[i]) holding the field's value and
/// schema, and with operation=move removes those fields from the key/value. Existing headers are kept (duplicates
/// allowed). A null or non-struct/map key/value is an error.
/// </summary>
public abstract class HeaderFrom<R> : ITransformation<R>, IVersioned where R : ConnectRecord
{
    public const string FieldsConfig = "fields";
    public const string HeadersConfig = "headers";
    public const string OperationConfig = "operation";
    public const string MoveOperation = "move";
    public const string CopyOperation = "copy";

    public static readonly ConfigDef Definition = new ConfigDef()
        .Define(FieldsConfig, ConfigType.List, ConfigDef.NoDefaultValue, NonEmptyListValidator.Instance, Importance.High,
            "Fields of the key or value whose values become headers.")
        .Define(HeadersConfig, ConfigType.List, ConfigDef.NoDefaultValue, NonEmptyListValidator.Instance, Importance.High,
            "Header names, one per field and in the same order as 'fields'.")
        .Define(OperationConfig, ConfigType.String, ConfigDef.NoDefaultValue, ValidString.In(MoveOperation, CopyOperation),
            Importance.High, "'move' removes the fields from the key or value, 'copy' keeps them.")
        .DefineReplaceNullWithDefault();

    private readonly SchemaUpdateCache<Schema> _moveSchemaCache = new();
    private IReadOnlyList<string> _fields = [];
    private IReadOnlyList<string> _headers = [];
    private bool _move;
    private bool _replaceNullWithDefault = true;

    public ConfigDef Config => Definition;

    public string Version => AppInfo.KafkaVersion;

    protected abstract bool IsKey { get; }

    public void Configure(IReadOnlyDictionary<string, string?> configs)
    {
        var config = new SimpleConfig(Definition, configs);
        _fields = config.GetList(FieldsConfig);
        _headers = config.GetList(HeadersConfig);
        if (_headers.Count != _fields.Count)
            throw new ConfigException($"'{FieldsConfig}' config must have the same number of elements as '{HeadersConfig}' config.");
        _move = config.GetString(OperationConfig) == MoveOperation;
        _replaceNullWithDefault = config.GetBoolean(TransformConfig.ReplaceNullWithDefaultConfig);
    }

    private string Purpose => "header " + (_move ? MoveOperation : CopyOperation);

    public R? Apply(R record)
    {
        var schema = RecordSide.OperatingSchema(record, IsKey);
        var value = RecordSide.OperatingValue(record, IsKey);
        return schema is null ? ApplySchemaless(record, value) : ApplyWithSchema(record, value, schema);
    }

    private R ApplyWithSchema(R record, object? operatingValue, Schema schema)
    {
        var headers = record.Headers.Duplicate();
        var value = Requirements.RequireStruct(operatingValue, Purpose);
        Schema updatedSchema;
        Struct updatedValue;
        if (_move)
        {
            updatedSchema = _moveSchemaCache.GetOrAdd(schema, s =>
            {
                var builder = SchemaBuilder.CopySchemaBasics(s, SchemaBuilder.Struct());
                foreach (var field in s.Fields)
                {
                    if (!_fields.Contains(field.Name)) builder.Field(field.Name, field.Schema);
                }
                return builder.Build();
            });
            updatedValue = new Struct(updatedSchema);
            foreach (var field in updatedSchema.Fields)
                updatedValue.Put(field, TransformConfig.FieldValue(value, field.Name, _replaceNullWithDefault));
        }
        else
        {
            updatedSchema = schema;
            updatedValue = value;
        }
        for (var i = 0; i < _fields.Count; i++)
        {
            var fieldName = _fields[i];
            var field = schema.Field(fieldName)
                ?? throw new DataException($"Field '{fieldName}' does not exist in the schema {schema} for [{Purpose}]");
            var fieldValue = value.Schema.Field(fieldName) is not null
                ? TransformConfig.FieldValue(value, fieldName, _replaceNullWithDefault)
                : null;
            headers.Add(_headers[i], fieldValue, field.Schema);
        }
        return RecordSide.NewRecord(record, IsKey, updatedSchema, updatedValue, headers);
    }

    private R ApplySchemaless(R record, object? operatingValue)
    {
        var headers = record.Headers.Duplicate();
        var value = Requirements.RequireMap(operatingValue, Purpose);
        var updatedValue = MapCopy.Of(value);
        for (var i = 0; i < _fields.Count; i++)
        {
            var fieldName = _fields[i];
            if (_move) updatedValue.Remove(fieldName);
            headers.Add(_headers[i], MapCopy.Get(value, fieldName), null);
        }
        return RecordSide.NewRecord(record, IsKey, null, updatedValue, headers);
    }

    public void Close()
    {
    }

    /// <summary>HeaderFrom$Key: takes the fields from the record key.</summary>
    [PluginName("org.apache.kafka.connect.transforms.HeaderFrom$Key")]
    public sealed class Key : HeaderFrom<R>
    {
        protected override bool IsKey => true;
    }

    /// <summary>HeaderFrom$Value: takes the fields from the record value.</summary>
    [PluginName("org.apache.kafka.connect.transforms.HeaderFrom$Value")]
    public sealed class Value : HeaderFrom<R>
    {
        protected override bool IsKey => false;
    }
}
