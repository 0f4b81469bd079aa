using System.Numerics;
using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Connector;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Connect.Plugins;
using OrleansConnect.Connect.Transforms;
using OrleansConnect.Plugins.Transforms.Util;
using ConnectDate = OrleansConnect.Connect.Data.Date;
using ConnectTime = OrleansConnect.Connect.Data.Time;
using ConnectTimestamp = OrleansConnect.Connect.Data.Timestamp;

namespace OrleansConnect.Plugins.Transforms;

/// <summary>
/// Kafka's Cast: casts fields of a struct/map (spec "field:type,...") or the whole key/value (spec "type") to a
/// primitive type with Java's conversion rules (narrowing wraps, floats truncate, number to boolean tests the integer
/// part, strings parse strictly, bytes only to base64 strings, dates to ISO text).
/// </summary>
public abstract class Cast<R> : ITransformation<R>, IVersioned where R : ConnectRecord
{
    public const string SpecConfig = "spec";
    private const string Purpose = "cast types";
    private const string WholeValueCast = "";

    private static readonly SchemaType[] SupportedInputTypes =
    [
        SchemaType.Int8, SchemaType.Int16, SchemaType.Int32, SchemaType.Int64, SchemaType.Float32, SchemaType.Float64,
        SchemaType.Boolean, SchemaType.String, SchemaType.Bytes,
    ];

    private static readonly SchemaType[] SupportedOutputTypes =
    [
        SchemaType.Int8, SchemaType.Int16, SchemaType.Int32, SchemaType.Int64, SchemaType.Float32, SchemaType.Float64,
        SchemaType.Boolean, SchemaType.String,
    ];

    public static readonly ConfigDef Definition = new ConfigDef()
        .Define(SpecConfig, ConfigType.List, ConfigDef.NoDefaultValue,
            LambdaValidator.With((_, value) =>
                {
                    if (value is not IReadOnlyList<string> { Count: > 0 } list) throw new ConfigException("Must specify at least one field to cast.");
                    ParseFieldTypes(list);
                },
                () => "list of colon-delimited pairs, e.g. <code>foo:bar,abc:xyz</code>"),
            Importance.High,
            "Casts to apply: 'field:type' pairs (comma separated) to cast fields of a struct or map, or a single type to cast " +
            "the whole key or value. Types: int8, int16, int32, int64, float32, float64, boolean and string; bytes can " +
            "only be cast to string.")
        .DefineReplaceNullWithDefault();

    private readonly SchemaUpdateCache<Schema> _schemaUpdateCache = new();
    private Dictionary<string, SchemaType> _casts = [];
    private SchemaType? _wholeValueCastType;
    private bool _replaceNullWithDefault = true;

    public ConfigDef Config => Definition;

    public string Version => AppInfo.KafkaVersion;

    /// <summary>Whether this instance works on the record key (Cast$Key) or value (Cast$Value).</summary>
    protected abstract bool IsKey { get; }

    public void Configure(IReadOnlyDictionary<string, string?> configs)
    {
        var config = new SimpleConfig(Definition, configs);
        _casts = ParseFieldTypes(config.GetList(SpecConfig));
        _wholeValueCastType = _casts.TryGetValue(WholeValueCast, out var whole) ? whole : null;
        _replaceNullWithDefault = config.GetBoolean(TransformConfig.ReplaceNullWithDefaultConfig);
    }

    public R? Apply(R record)
    {
        var value = RecordSide.OperatingValue(record, IsKey);
        if (value is null) return record;
        return RecordSide.OperatingSchema(record, IsKey) is null ? ApplySchemaless(record, value) : ApplyWithSchema(record);
    }

    public void Close()
    {
    }

    private R ApplySchemaless(R record, object operatingValue)
    {
        if (_wholeValueCastType is { } wholeType)
            return RecordSide.NewRecord(record, IsKey, null, CastValueToType(null, operatingValue, wholeType));
        var value = Requirements.RequireMap(operatingValue, Purpose);
        var updated = MapCopy.Of(value);
        foreach (var (field, type) in _casts)
        {
            updated[field] = CastValueToType(null, value.Contains(field) ? value[field] : null, type);
        }
        return RecordSide.NewRecord(record, IsKey, null, updated);
    }

    private R ApplyWithSchema(R record)
    {
        var valueSchema = RecordSide.OperatingSchema(record, IsKey)!;
        var operatingValue = RecordSide.OperatingValue(record, IsKey);
        var updatedSchema = _schemaUpdateCache.GetOrAdd(valueSchema, BuildSchema);
        if (_wholeValueCastType is { } wholeType)
            return RecordSide.NewRecord(record, IsKey, updatedSchema, CastValueToType(valueSchema, operatingValue, wholeType));

        var value = Requirements.RequireStruct(operatingValue, Purpose);
        var updatedValue = new Struct(updatedSchema);
        foreach (var field in value.Schema.Fields)
        {
            var original = TransformConfig.FieldValue(value, field, _replaceNullWithDefault);
            var newValue = _casts.TryGetValue(field.Name, out var targetType)
                ? CastValueToType(field.Schema, original, targetType)
                : original;
            updatedValue.Put(updatedSchema.Field(field.Name)!, newValue);
        }
        return RecordSide.NewRecord(record, IsKey, updatedSchema, updatedValue);
    }

    private Schema BuildSchema(Schema valueSchema)
    {
        SchemaBuilder builder;
        if (_wholeValueCastType is { } wholeType)
        {
            // The whole-value schema keeps the original's name, version, doc and parameters (as Kafka does).
            builder = SchemaBuilder.CopySchemaBasics(valueSchema, SchemaBuilder.Type(wholeType));
        }
        else
        {
            builder = SchemaBuilder.CopySchemaBasics(valueSchema, SchemaBuilder.Struct());
            foreach (var field in valueSchema.Fields)
            {
                if (_casts.TryGetValue(field.Name, out var type))
                {
                    var fieldBuilder = SchemaBuilder.Type(type);
                    if (field.Schema.IsOptional) fieldBuilder.Optional();
                    if (field.Schema.DefaultValue is { } fieldDefault)
                        fieldBuilder.DefaultValue(CastValueToType(field.Schema, fieldDefault, type));
                    builder.Field(field.Name, fieldBuilder.Build());
                }
                else
                {
                    builder.Field(field.Name, field.Schema);
                }
            }
        }
        if (valueSchema.IsOptional) builder.Optional();
        if (valueSchema.DefaultValue is { } defaultValue)
            builder.DefaultValue(CastValueToType(valueSchema, defaultValue, builder.SchemaType));
        return builder.Build();
    }

    /// <summary>Parses the spec into field → type ("" for a whole-value cast), with Kafka's config errors.</summary>
    internal static Dictionary<string, SchemaType> ParseFieldTypes(IReadOnlyList<string> mappings)
    {
        var result = new Dictionary<string, SchemaType>();
        var isWholeValueCast = false;
        foreach (var mapping in mappings)
        {
            var parts = TransformConfig.JavaSplit(mapping, ':');
            if (parts.Length > 2)
            {
                // Kafka reports this against "renames" (a quirk kept for identical messages).
                throw new ConfigException("renames", mappings, "Invalid rename mapping: " + mapping);
            }
            if (parts.Length <= 1)
            {
                var typeName = parts.Length == 0 ? "" : parts[0];
                result[WholeValueCast] = ValidOutputType(ParseType(typeName));
                isWholeValueCast = true;
            }
            else
            {
                result[JavaNumbers.Trim(parts[0])] = ValidOutputType(ParseType(parts[1]));
            }
        }
        if (isWholeValueCast && mappings.Count > 1)
        {
            throw new ConfigException("Cast transformations that specify a type to cast the entire value to " +
                "may only specify a single cast in their spec");
        }
        return result;
    }

    private static SchemaType ParseType(string text)
    {
        var name = JavaNumbers.Trim(text);
        if (!SchemaTypes.TryParse(name, out var type)) throw new ConfigException("Invalid type found in casting spec: " + name);
        return type;
    }

    private static SchemaType ValidOutputType(SchemaType type)
    {
        if (!SupportedOutputTypes.Contains(type))
        {
            throw new ConfigException($"Cast transformation does not support casting to {type.ToConnectName()}; " +
                $"supported types are {TypeList(SupportedOutputTypes)}");
        }
        return type;
    }

    private static string TypeList(SchemaType[] types) => "[" + string.Join(", ", types.Select(t => t.ToConnectName())) + "]";

    private static object? CastValueToType(Schema? schema, object? value, SchemaType targetType)
    {
        if (value is null) return null;
        var inferredType = schema?.Type ?? Values.SchemaTypeFor(value)
            ?? throw new DataException($"Cast transformation was passed a value of type {value.GetType().FullName} " +
                "which is not supported by Connect's data API");
        if (!SupportedInputTypes.Contains(inferredType))
        {
            throw new DataException($"Cast transformation does not support casting from {inferredType.ToConnectName()}; " +
                $"supported types are {TypeList(SupportedInputTypes)}");
        }
        // Logical values are first encoded as their underlying integers (Decimal stays a number).
        if (schema?.Name is not null && targetType != SchemaType.String) value = EncodeLogicalType(schema, value);
        return targetType switch
        {
            SchemaType.Int8 => (object)unchecked((sbyte)ToIntegral(value, sbyte.MinValue, sbyte.MaxValue)),
            SchemaType.Int16 => unchecked((short)ToIntegral(value, short.MinValue, short.MaxValue)),
            SchemaType.Int32 => unchecked((int)ToIntegral(value, int.MinValue, int.MaxValue)),
            SchemaType.Int64 => ToIntegral(value, long.MinValue, long.MaxValue),
            SchemaType.Float32 => ToFloat32(value),
            SchemaType.Float64 => ToFloat64(value),
            SchemaType.Boolean => ToBoolean(value),
            SchemaType.String => CastToString(value),
            _ => throw new DataException($"{targetType.ToConnectName()} is not supported in the Cast transformation."),
        };
    }

    private static object EncodeLogicalType(Schema schema, object value) => schema.Name switch
    {
        ConnectDate.LogicalName => ConnectDate.FromLogical(schema, (LogicalTime)value),
        ConnectTime.LogicalName => ConnectTime.FromLogical(schema, (LogicalTime)value),
        ConnectTimestamp.LogicalName => ConnectTimestamp.FromLogical(schema, (LogicalTime)value),
        _ => value,
    };

    /// <summary>
    /// The value narrowed as Java does: integers keep their low bits (the caller truncates to the target width),
    /// floats go through a saturating cast to int (long for int64), decimals keep the low bits of their integer part.
    /// </summary>
    private static long ToIntegral(object value, long min, long max)
    {
        var isLong = min == long.MinValue;
        switch (value)
        {
            case sbyte v: return v;
            case short v: return v;
            case int v: return v;
            case long v: return v;
            case float v: return isLong ? JavaNumbers.DoubleToLong(v) : JavaNumbers.DoubleToInt(v);
            case double v: return isLong ? JavaNumbers.DoubleToLong(v) : JavaNumbers.DoubleToInt(v);
            case decimal v: return JavaNumbers.LowBits(new BigInteger(decimal.Truncate(v)));
            case bool b: return b ? 1 : 0;
            case string s:
                // Java's Byte/Short/Integer/Long.parseX: strict, no spaces, range-checked.
                if (JavaNumbers.TryParseStrictInteger(s, min, max, out var parsed)) return parsed;
                throw new DataException($"Value ({s}) was out of range for requested data type");
            default:
                throw new DataException($"Unexpected type in Cast transformation: {value.GetType().FullName}");
        }
    }

    private static float ToFloat32(object value) => value switch
    {
        sbyte v => v,
        short v => v,
        int v => v,
        long v => v,
        float v => v,
        double v => (float)v,
        decimal v => (float)v,
        bool b => b ? 1f : 0f,
        string s => JavaNumbers.TryParseJavaFloat(s, out var f) ? f : throw new DataException($"Value ({s}) was out of range for requested data type"),
        _ => throw new DataException($"Unexpected type in Cast transformation: {value.GetType().FullName}"),
    };

    private static double ToFloat64(object value) => value switch
    {
        sbyte v => v,
        short v => v,
        int v => v,
        long v => v,
        float v => v,
        double v => v,
        decimal v => (double)v,
        bool b => b ? 1d : 0d,
        string s => JavaNumbers.TryParseJavaDouble(s, out var d) ? d : throw new DataException($"Value ({s}) was out of range for requested data type"),
        _ => throw new DataException($"Unexpected type in Cast transformation: {value.GetType().FullName}"),
    };

    private static bool ToBoolean(object value) => value switch
    {
        // Java's Number.longValue() != 0: the integer part decides (0.5 is false).
        sbyte or short or int or long or float or double or decimal => ToIntegral(value, long.MinValue, long.MaxValue) != 0L,
        bool b => b,
        string s => s.Equals("true", StringComparison.OrdinalIgnoreCase),
        _ => throw new DataException($"Unexpected type in Cast transformation: {value.GetType().FullName}"),
    };

    private static string CastToString(object value) => value switch
    {
        LogicalTime t => ConnectValues.FormatDate(t.EpochMillis),
        byte[] bytes => Convert.ToBase64String(bytes),
        _ => Values.ToJavaString(value),
    };

    /// <summary>Cast$Key: casts the record key.</summary>
    [PluginName("org.apache.kafka.connect.transforms.Cast$Key")]
    public sealed class Key : Cast<R>
    {
        protected override bool IsKey => true;
    }

    /// <summary>Cast$Value: casts the record value.</summary>
    [PluginName("org.apache.kafka.connect.transforms.Cast$Value")]
    public sealed class Value : Cast<R>
    {
        protected override bool IsKey => false;
    }
}
