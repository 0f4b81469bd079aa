using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Connector;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Connect.Plugins;
using OrleansConnect.Connect.Transforms;
using OrleansConnect.Plugins.Transforms.Util;

namespace OrleansConnect.Plugins.Transforms;

/// <summary>
/// Kafka's ExtractField: replaces the key or value with one of its fields (nested with field.syntax.version=V2).
/// Schema mode: the result schema is the field's schema and an unknown field is an error; schemaless: a missing
/// field gives null. A null key/value stays null.
/// </summary>
public abstract class ExtractField<R> : ITransformation<R>, IVersioned where R : ConnectRecord
{
    public const string FieldConfig = "field";
    private const string Purpose = "field extraction";

    public static readonly ConfigDef Definition = new ConfigDef()
        .Define(FieldConfig, ConfigType.String, ConfigDef.NoDefaultValue, null, Importance.Medium, "Field (path) to extract.")
        .DefineReplaceNullWithDefault()
        .DefineFieldSyntaxVersion();

    private SingleFieldPath _fieldPath = new("", FieldSyntaxVersion.V1);
    private bool _replaceNullWithDefault = true;

    public ConfigDef Config => Definition;

    public string Version => AppInfo.KafkaVersion;

    protected abstract bool IsKey { get; }

    public void Configure(IReadOnlyDictionary<string, string?> configs)
    {
        var config = new SimpleConfig(Definition, configs);
        var field = config.GetString(FieldConfig) ?? throw new ConfigException(FieldConfig, null, "A field is required");
        _fieldPath = new SingleFieldPath(field, FieldSyntaxVersions.FromConfig(config));
        _replaceNullWithDefault = config.GetBoolean(TransformConfig.ReplaceNullWithDefaultConfig);
    }

    public R? Apply(R record)
    {
        var schema = RecordSide.OperatingSchema(record, IsKey);
        var operatingValue = RecordSide.OperatingValue(record, IsKey);
        if (schema is null)
        {
            var map = Requirements.RequireMapOrNull(operatingValue, Purpose);
            return RecordSide.NewRecord(record, IsKey, null, map is null ? null : _fieldPath.ValueFrom(map));
        }
        var value = Requirements.RequireStructOrNull(operatingValue, Purpose);
        var field = _fieldPath.FieldFrom(schema) ?? throw new DataException("Unknown field: " + _fieldPath.Original);
        return RecordSide.NewRecord(record, IsKey, field.Schema, value is null ? null : _fieldPath.ValueFrom(value, _replaceNullWithDefault));
    }

    public void Close()
    {
    }

    /// <summary>ExtractField$Key: extracts from the record key.</summary>
    [PluginName("org.apache.kafka.connect.transforms.ExtractField$Key")]
    public sealed class Key : ExtractField<R>
    {
        protected override bool IsKey => true;
    }

    /// <summary>ExtractField$Value: extracts from the record value.</summary>
    [PluginName("org.apache.kafka.connect.transforms.ExtractField$Value")]
    public sealed class Value : ExtractField<R>
    {
        protected override bool IsKey => false;
    }
}
