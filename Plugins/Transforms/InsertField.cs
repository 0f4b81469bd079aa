using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Connector;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Plugins;
using OrleansConnect.Connect.Transforms;
using OrleansConnect.Plugins.Transforms.Util;
using ConnectTimestamp = OrleansConnect.Connect.Data.Timestamp;

namespace OrleansConnect.Plugins.Transforms;

/// <summary>
/// Kafka's InsertField: adds the record's topic, partition, offset (sink records only), timestamp and/or a static
/// string to the key or value. A field name ending in '!' makes the field required, '?' (or nothing) optional.
/// Schemaless: existing keys are overwritten and the timestamp is epoch millis; schema mode: fields are appended
/// (timestamp as a Timestamp) and a clash with an existing field is an error. A null key/value is left untouched.
/// </summary>
public abstract class InsertField<R> : ITransformation<R>, IVersioned where R : ConnectRecord
{
    public const string TopicFieldConfig = "topic.field";
    public const string PartitionFieldConfig = "partition.field";
    public const string OffsetFieldConfig = "offset.field";
    public const string TimestampFieldConfig = "timestamp.field";
    public const string StaticFieldConfig = "static.field";
    public const string StaticValueConfig = "static.value";
    private const string Purpose = "field insertion";
    private const string OptionalityDoc = "End the name with '!' to make the field required or '?' to keep it optional (the default).";

    private static readonly Schema OptionalTimestampSchema = ConnectTimestamp.Builder().Optional().Build();

    public static readonly ConfigDef Definition = new ConfigDef()
        .Define(TopicFieldConfig, ConfigType.String, null, null, Importance.Medium, "Field to hold the Kafka topic. " + OptionalityDoc)
        .Define(PartitionFieldConfig, ConfigType.String, null, null, Importance.Medium, "Field to hold the Kafka partition. " + OptionalityDoc)
        .Define(OffsetFieldConfig, ConfigType.String, null, null, Importance.Medium,
            "Field to hold the Kafka offset (sink connectors only). " + OptionalityDoc)
        .Define(TimestampFieldConfig, ConfigType.String, null, null, Importance.Medium, "Field to hold the record timestamp. " + OptionalityDoc)
        .Define(StaticFieldConfig, ConfigType.String, null, null, Importance.Medium, "Field to hold the static value. " + OptionalityDoc)
        .Define(StaticValueConfig, ConfigType.String, null, null, Importance.Medium, "The static value, when static.field is set.")
        .DefineReplaceNullWithDefault();

    private readonly SchemaUpdateCache<Schema> _schemaUpdateCache = new();
    private InsertionSpec? _topicField, _partitionField, _offsetField, _timestampField, _staticField;
    private string? _staticValue;
    private bool _replaceNullWithDefault = true;

    public ConfigDef Config => Definition;

    public string Version => AppInfo.KafkaVersion;

    protected abstract bool IsKey { get; }

    private sealed record InsertionSpec(string Name, bool Optional)
    {
        public static InsertionSpec? Parse(string? spec)
        {
            if (spec is null) return null;
            if (spec.EndsWith('?')) return new InsertionSpec(spec[..^1], true);
            if (spec.EndsWith('!')) return new InsertionSpec(spec[..^1], false);
            return new InsertionSpec(spec, true);
        }
    }

    public void Configure(IReadOnlyDictionary<string, string?> configs)
    {
        var config = new SimpleConfig(Definition, configs);
        _topicField = InsertionSpec.Parse(config.GetString(TopicFieldConfig));
        _partitionField = InsertionSpec.Parse(config.GetString(PartitionFieldConfig));
        _offsetField = InsertionSpec.Parse(config.GetString(OffsetFieldConfig));
        _timestampField = InsertionSpec.Parse(config.GetString(TimestampFieldConfig));
        _staticField = InsertionSpec.Parse(config.GetString(StaticFieldConfig));
        _staticValue = config.GetString(StaticValueConfig);
        _replaceNullWithDefault = config.GetBoolean(TransformConfig.ReplaceNullWithDefaultConfig);
        if (_topicField is null && _partitionField is null && _offsetField is null && _timestampField is null && _staticField is null)
            throw new ConfigException("No field insertion configured");
        if (_staticField is not null && _staticValue is null)
            throw new ConfigException(StaticValueConfig, null, "No value specified for static field: " + _staticField.Name);
    }

    public R? Apply(R record)
    {
        var value = RecordSide.OperatingValue(record, IsKey);
        if (value is null) return record;
        return RecordSide.OperatingSchema(record, IsKey) is null ? ApplySchemaless(record, value) : ApplyWithSchema(record, value);
    }

    private R ApplySchemaless(R record, object operatingValue)
    {
        var value = Requirements.RequireMap(operatingValue, Purpose);
        var updated = MapCopy.Of(value);
        if (_topicField is not null) updated[_topicField.Name] = record.Topic;
        if (_partitionField is not null && record.KafkaPartition is { } partition) updated[_partitionField.Name] = partition;
        if (_offsetField is not null) updated[_offsetField.Name] = Requirements.RequireSinkRecord(record, Purpose).KafkaOffset;
        if (_timestampField is not null && record.Timestamp is { } timestamp) updated[_timestampField.Name] = timestamp;
        if (_staticField is not null && _staticValue is not null) updated[_staticField.Name] = _staticValue;
        return RecordSide.NewRecord(record, IsKey, null, updated);
    }

    private R ApplyWithSchema(R record, object operatingValue)
    {
        var value = Requirements.RequireStruct(operatingValue, Purpose);
        var updatedSchema = _schemaUpdateCache.GetOrAdd(value.Schema, MakeUpdatedSchema);
        var updated = new Struct(updatedSchema);
        foreach (var field in value.Schema.Fields)
            updated.Put(field.Name, TransformConfig.FieldValue(value, field, _replaceNullWithDefault));
        if (_topicField is not null) updated.Put(_topicField.Name, record.Topic);
        if (_partitionField is not null && record.KafkaPartition is { } partition) updated.Put(_partitionField.Name, partition);
        if (_offsetField is not null) updated.Put(_offsetField.Name, Requirements.RequireSinkRecord(record, Purpose).KafkaOffset);
        if (_timestampField is not null && record.Timestamp is { } timestamp)
            updated.Put(_timestampField.Name, new LogicalTime(timestamp));
        if (_staticField is not null && _staticValue is not null) updated.Put(_staticField.Name, _staticValue);
        return RecordSide.NewRecord(record, IsKey, updatedSchema, updated);
    }

    private Schema MakeUpdatedSchema(Schema schema)
    {
        var builder = SchemaBuilder.CopySchemaBasics(schema, SchemaBuilder.Struct());
        foreach (var field in schema.Fields) builder.Field(field.Name, field.Schema);
        if (_topicField is not null)
            builder.Field(_topicField.Name, _topicField.Optional ? Schema.OptionalStringSchema : Schema.StringSchema);
        if (_partitionField is not null)
            builder.Field(_partitionField.Name, _partitionField.Optional ? Schema.OptionalInt32Schema : Schema.Int32Schema);
        if (_offsetField is not null)
            builder.Field(_offsetField.Name, _offsetField.Optional ? Schema.OptionalInt64Schema : Schema.Int64Schema);
        if (_timestampField is not null)
            builder.Field(_timestampField.Name, _timestampField.Optional ? OptionalTimestampSchema : ConnectTimestamp.Schema());
        if (_staticField is not null)
            builder.Field(_staticField.Name, _staticField.Optional ? Schema.OptionalStringSchema : Schema.StringSchema);
        return builder.Build();
    }

    public void Close()
    {
    }

    /// <summary>InsertField$Key: inserts into the record key.</summary>
    [PluginName("org.apache.kafka.connect.transforms.InsertField$Key")]
    public sealed class Key : InsertField<R>
    {
        protected override bool IsKey => true;
    }

    /// <summary>InsertField$Value: inserts into the record value.</summary>
    [PluginName("org.apache.kafka.connect.transforms.InsertField$Value")]
    public sealed class Value : InsertField<R>
    {
        protected override bool IsKey => false;
    }
}
