using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Connector;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Plugins;
using OrleansConnect.Connect.Transforms;
using OrleansConnect.Plugins.Transforms.Util;

namespace OrleansConnect.Plugins.Transforms;

/// <summary>
/// Kafka's HoistField: wraps the key or value in a single-field struct (schema) or map (schemaless). A null is
/// wrapped too, so a tombstone stops being one.
/// </summary>
public abstract class HoistField<R> : ITransformation<R>, IVersioned where R : ConnectRecord
{
    public const string FieldConfig = "field";

    public static readonly ConfigDef Definition = new ConfigDef()
        .Define(FieldConfig, ConfigType.String, ConfigDef.NoDefaultValue, null, Importance.Medium,
            "Name of the single field of the struct or map that wraps the original key or value.");

    private readonly SchemaUpdateCache<Schema> _schemaUpdateCache = new();
    private string _fieldName = "";

    public ConfigDef Config => Definition;

    public string Version => AppInfo.KafkaVersion;

    protected abstract bool IsKey { get; }

    public void Configure(IReadOnlyDictionary<string, string?> configs)
    {
        var config = new SimpleConfig(Definition, configs);
        _fieldName = config.GetString(FieldConfig) ?? throw new ConfigException(FieldConfig, null, "Field name must not be null");
    }

    public R? Apply(R record)
    {
        var schema = RecordSide.OperatingSchema(record, IsKey);
        var value = RecordSide.OperatingValue(record, IsKey);
        if (schema is null)
        {
            var map = new Dictionary<object, object?> { [_fieldName] = value };
            return RecordSide.NewRecord(record, IsKey, null, map);
        }
        var updatedSchema = _schemaUpdateCache.GetOrAdd(schema, s => SchemaBuilder.Struct().Field(_fieldName, s).Build());
        var updatedValue = new Struct(updatedSchema).Put(_fieldName, value);
        return RecordSide.NewRecord(record, IsKey, updatedSchema, updatedValue);
    }

    public void Close()
    {
    }

    /// <summary>HoistField$Key: wraps the record key.</summary>
    [PluginName("org.apache.kafka.connect.transforms.HoistField$Key")]
    public sealed class Key : HoistField<R>
    {
        protected override bool IsKey => true;
    }

    /// <summary>HoistField$Value: wraps the record value.</summary>
    [PluginName("org.apache.kafka.connect.transforms.HoistField$Value")]
    public sealed class Value : HoistField<R>
    {
        protected override bool IsKey => false;
    }
}
