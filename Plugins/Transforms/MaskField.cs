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
/// Kafka's MaskField: replaces the listed fields with a "zero" of their runtime type (false, 0, "", epoch, [] or {})
/// or, with 'replacement', with that text converted to the field's numeric or string type. The schema never changes;
/// null fields stay null. A null key/value is an error.
/// </summary>
public abstract class MaskField<R> : ITransformation<R>, IVersioned where R : ConnectRecord
{
    public const string FieldsConfig = "fields";
    public const string ReplacementConfig = "replacement";
    private const string Purpose = "mask fields";

    public static readonly ConfigDef Definition = new ConfigDef()
        .Define(FieldsConfig, ConfigType.List, ConfigDef.NoDefaultValue, NonEmptyListValidator.Instance, Importance.High,
            "Fields to mask.")
        .Define(ReplacementConfig, ConfigType.String, null, NonEmptyString.Instance, Importance.Low,
            "Text every masked value is replaced with, converted to the field's type (numeric and string fields only). " +
            "Without it a masked value becomes the empty value of its type.")
        .DefineReplaceNullWithDefault();

    private HashSet<string> _maskedFields = [];
    private IReadOnlyList<string> _maskedFieldList = [];
    private string? _replacement;
    private bool _replaceNullWithDefault = true;

    public ConfigDef Config => Definition;

    public string Version => AppInfo.KafkaVersion;

    protected abstract bool IsKey { get; }

    public void Configure(IReadOnlyDictionary<string, string?> configs)
    {
        var config = new SimpleConfig(Definition, configs);
        _maskedFieldList = config.GetList(FieldsConfig);
        _maskedFields = new HashSet<string>(_maskedFieldList, StringComparer.Ordinal);
        _replacement = config.GetString(ReplacementConfig);
        _replaceNullWithDefault = config.GetBoolean(TransformConfig.ReplaceNullWithDefaultConfig);
    }

    public R? Apply(R record) =>
        RecordSide.OperatingSchema(record, IsKey) is null ? ApplySchemaless(record) : ApplyWithSchema(record);

    private R ApplySchemaless(R record)
    {
        var value = Requirements.RequireMap(RecordSide.OperatingValue(record, IsKey), Purpose);
        var updated = MapCopy.Of(value);
        foreach (var field in _maskedFieldList) updated[field] = Masked(MapCopy.Get(value, field));
        return RecordSide.NewRecord(record, IsKey, null, updated);
    }

    private R ApplyWithSchema(R record)
    {
        var value = Requirements.RequireStruct(RecordSide.OperatingValue(record, IsKey), Purpose);
        var updated = new Struct(value.Schema);
        foreach (var field in value.Schema.Fields)
        {
            var original = TransformConfig.FieldValue(value, field, _replaceNullWithDefault);
            updated.Put(field, _maskedFields.Contains(field.Name) ? Masked(original) : original);
        }
        return RecordSide.NewRecord(record, IsKey, RecordSide.OperatingSchema(record, IsKey), updated);
    }

    private object? Masked(object? value)
    {
        if (value is null) return null;
        return _replacement is null ? MaskWithNullValue(value) : MaskWithCustomReplacement(value, _replacement);
    }

    private static object MaskWithNullValue(object value) => value switch
    {
        bool => false,
        sbyte => (sbyte)0,
        short => (short)0,
        int => 0,
        long => 0L,
        float => 0f,
        double => 0d,
        decimal => 0m,
        string => "",
        LogicalTime => LogicalTime.Epoch,
        byte[] => throw new DataException("Cannot mask value of type: " + value.GetType().FullName),
        IList => new List<object?>(),
        IDictionary => new Dictionary<object, object?>(),
        _ => throw new DataException("Cannot mask value of type: " + value.GetType().FullName),
    };

    private static object MaskWithCustomReplacement(object value, string replacement)
    {
        switch (value)
        {
            case sbyte: return ConnectValues.ConvertToByte(null, replacement)!;
            case short: return ConnectValues.ConvertToShort(null, replacement)!;
            case int: return ConnectValues.ConvertToInteger(null, replacement)!;
            case long: return ConnectValues.ConvertToLong(null, replacement)!;
            case float: return ConnectValues.ConvertToFloat(null, replacement)!;
            case double: return ConnectValues.ConvertToDouble(null, replacement)!;
            case string: return replacement;
            case decimal:
                // The text keeps its own scale ("123.0" has scale 1), as BigDecimal's constructor does.
                if (JavaBigDecimal.TryParse(replacement, out var parsed))
                    return ConnectDecimal.FromUnscaled(parsed.Unscaled, parsed.Scale);
                throw new DataException($"Unable to convert {replacement} (class System.String) to number");
            default:
                throw new DataException($"Cannot mask value of type {value.GetType().FullName} with custom replacement.");
        }
    }

    public void Close()
    {
    }

    /// <summary>MaskField$Key: masks fields of the record key.</summary>
    [PluginName("org.apache.kafka.connect.transforms.MaskField$Key")]
    public sealed class Key : MaskField<R>
    {
        protected override bool IsKey => true;
    }

    /// <summary>MaskField$Value: masks fields of the record value.</summary>
    [PluginName("org.apache.kafka.connect.transforms.MaskField$Value")]
    public sealed class Value : MaskField<R>
    {
        protected override bool IsKey => false;
    }
}
