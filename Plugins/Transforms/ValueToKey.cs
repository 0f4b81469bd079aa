using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Connector;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Connect.Plugins;
using OrleansConnect.Connect.Transforms;
using OrleansConnect.Plugins.Transforms.Util;

namespace OrleansConnect.Plugins.Transforms;

/// <summary>
/// Kafka's ValueToKey: the key becomes a struct (schema) or map (schemaless) of the listed value fields, in config
/// order; the value is unchanged. A null value is an error.
/// </summary>
[PluginName("org.apache.kafka.connect.transforms.ValueToKey")]
public sealed class ValueToKey<R> : ITransformation<R>, IVersioned where R : ConnectRecord
{
    public const string FieldsConfig = "fields";
    private const string Purpose = "copying fields from value to key";

    public static readonly ConfigDef Definition = new ConfigDef()
        .Define(FieldsConfig, ConfigType.List, ConfigDef.NoDefaultValue, NonEmptyListValidator.Instance, Importance.High,
            "Value fields that make up the new key.")
        .DefineReplaceNullWithDefault();

    private readonly SchemaUpdateCache<Schema> _keySchemaCache = new();
    private IReadOnlyList<string> _fields = [];
    private bool _replaceNullWithDefault = true;

    public ConfigDef Config => Definition;

    public string Version => AppInfo.KafkaVersion;

    public void Configure(IReadOnlyDictionary<string, string?> configs)
    {
        var config = new SimpleConfig(Definition, configs);
        _fields = config.GetList(FieldsConfig);
        _replaceNullWithDefault = config.GetBoolean(TransformConfig.ReplaceNullWithDefaultConfig);
    }

    public R? Apply(R record) => record.ValueSchema is null ? ApplySchemaless(record) : ApplyWithSchema(record);

    private R ApplySchemaless(R record)
    {
        var value = Requirements.RequireMap(record.Value, Purpose);
        var key = new Dictionary<object, object?>(_fields.Count);
        foreach (var field in _fields) key[field] = MapCopy.Get(value, field);
        return (R)record.NewRecord(record.Topic, record.KafkaPartition, null, key, record.ValueSchema, record.Value, record.Timestamp);
    }

    private R ApplyWithSchema(R record)
    {
        var value = Requirements.RequireStruct(record.Value, Purpose);
        var keySchema = _keySchemaCache.GetOrAdd(value.Schema, valueSchema =>
        {
            var builder = SchemaBuilder.Struct();
            foreach (var field in _fields)
            {
                var fromValue = valueSchema.Field(field) ?? throw new DataException("Field does not exist: " + field);
                builder.Field(field, fromValue.Schema);
            }
            return builder.Build();
        });
        var key = new Struct(keySchema);
        foreach (var field in _fields) key.Put(field, TransformConfig.FieldValue(value, field, _replaceNullWithDefault));
        return (R)record.NewRecord(record.Topic, record.KafkaPartition, keySchema, key, value.Schema, value, record.Timestamp);
    }

    public void Close()
    {
    }
}
