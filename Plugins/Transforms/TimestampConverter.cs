using System.Collections;
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
/// Kafka's TimestampConverter: converts the whole key/value or one top-level field between string (a
/// SimpleDateFormat pattern, UTC), unix (a long in unix.precision units), Date, Time and Timestamp. The source type
/// comes from the schema (or the runtime type, schemaless); everything goes through epoch milliseconds in UTC.
/// </summary>
public abstract class TimestampConverter<R> : ITransformation<R>, IVersioned where R : ConnectRecord
{
    public const string FieldConfig = "field";
    public const string TargetTypeConfig = "target.type";
    public const string FormatConfig = "format";
    public const string UnixPrecisionConfig = "unix.precision";

    public const string TypeString = "string";
    public const string TypeUnix = "unix";
    public const string TypeDate = "Date";
    public const string TypeTime = "Time";
    public const string TypeTimestamp = "Timestamp";

    public const string UnixPrecisionMillis = "milliseconds";
    public const string UnixPrecisionMicros = "microseconds";
    public const string UnixPrecisionNanos = "nanoseconds";
    public const string UnixPrecisionSeconds = "seconds";

    private const string Purpose = "converting timestamp formats";
    private const long MillisPerDay = 86_400_000L;

    private static readonly Schema OptionalDateSchema = ConnectDate.Builder().Optional().Build();
    private static readonly Schema OptionalTimeSchema = ConnectTime.Builder().Optional().Build();
    private static readonly Schema OptionalTimestampSchema = ConnectTimestamp.Builder().Optional().Build();

    public static readonly ConfigDef Definition = new ConfigDef()
        .Define(FieldConfig, ConfigType.String, "", null, Importance.High,
            "Top-level field holding the timestamp; empty to convert the whole key or value.")
        .Define(TargetTypeConfig, ConfigType.String, ConfigDef.NoDefaultValue,
            ValidString.In(TypeString, TypeUnix, TypeDate, TypeTime, TypeTimestamp), Importance.High,
            "Representation to convert to: string, unix, Date, Time or Timestamp.")
        .Define(FormatConfig, ConfigType.String, "", null, Importance.Medium,
            "java.text.SimpleDateFormat pattern used to write string timestamps and to parse string inputs.")
        .Define(UnixPrecisionConfig, ConfigType.String, UnixPrecisionMillis,
            ValidString.In(UnixPrecisionNanos, UnixPrecisionMicros, UnixPrecisionMillis, UnixPrecisionSeconds), Importance.Low,
            "Unit of unix timestamps, for both reading and writing longs: seconds, milliseconds, microseconds or " +
            "nanoseconds. Digits below a millisecond are lost.")
        .DefineReplaceNullWithDefault();

    private readonly SchemaUpdateCache<Schema> _schemaUpdateCache = new();
    private string _field = "";
    private string _targetType = TypeTimestamp;
    private JavaDateFormat? _format;
    private string _unixPrecision = UnixPrecisionMillis;
    private bool _replaceNullWithDefault = true;

    public ConfigDef Config => Definition;

    public string Version => AppInfo.KafkaVersion;

    protected abstract bool IsKey { get; }

    public void Configure(IReadOnlyDictionary<string, string?> configs)
    {
        var config = new SimpleConfig(Definition, configs);
        _field = config.GetString(FieldConfig) ?? "";
        _targetType = config.GetString(TargetTypeConfig)!;
        var pattern = config.GetString(FormatConfig);
        _unixPrecision = config.GetString(UnixPrecisionConfig)!;
        _replaceNullWithDefault = config.GetBoolean(TransformConfig.ReplaceNullWithDefaultConfig);
        var blank = string.IsNullOrWhiteSpace(pattern);
        if (_targetType == TypeString && blank)
            throw new ConfigException("TimestampConverter requires format option to be specified when using string timestamps");
        _format = null;
        if (!blank)
        {
            try
            {
                _format = new JavaDateFormat(pattern!);
            }
            catch (ArgumentException e)
            {
                throw new ConfigException(
                    $"TimestampConverter requires a SimpleDateFormat-compatible pattern for string timestamps: {pattern} ({e.Message})");
            }
        }
    }

    public R? Apply(R record) =>
        RecordSide.OperatingSchema(record, IsKey) is null ? ApplySchemaless(record) : ApplyWithSchema(record);

    private R ApplyWithSchema(R record)
    {
        var schema = RecordSide.OperatingSchema(record, IsKey)!;
        var operatingValue = RecordSide.OperatingValue(record, IsKey);
        if (_field.Length == 0)
        {
            var updated = TargetSchema(schema.IsOptional);
            return RecordSide.NewRecord(record, IsKey, updated, ConvertTimestamp(operatingValue, TimestampTypeFromSchema(schema)));
        }
        var value = Requirements.RequireStructOrNull(operatingValue, Purpose);
        var updatedSchema = _schemaUpdateCache.GetOrAdd(schema, s =>
        {
            var builder = SchemaBuilder.CopySchemaBasics(s, SchemaBuilder.Struct());
            foreach (var field in s.Fields)
            {
                // The converted field gets the target schema: optionality kept, default dropped.
                builder.Field(field.Name, field.Name == _field ? TargetSchema(field.Schema.IsOptional) : field.Schema);
            }
            if (s.IsOptional) builder.Optional();
            if (s.DefaultValue is Struct defaultValue) builder.DefaultValue(ApplyValueWithSchema(defaultValue, builder.Build()));
            return builder.Build();
        });
        return RecordSide.NewRecord(record, IsKey, updatedSchema, ApplyValueWithSchema(value, updatedSchema));
    }

    private Struct? ApplyValueWithSchema(Struct? value, Schema updatedSchema)
    {
        if (value is null) return null;
        var updated = new Struct(updatedSchema);
        foreach (var field in value.Schema.Fields)
        {
            var fieldValue = TransformConfig.FieldValue(value, field, _replaceNullWithDefault);
            updated.Put(field.Name, field.Name == _field ? ConvertTimestamp(fieldValue, TimestampTypeFromSchema(field.Schema)) : fieldValue);
        }
        return updated;
    }

    private R ApplySchemaless(R record)
    {
        var raw = RecordSide.OperatingValue(record, IsKey);
        if (raw is null || _field.Length == 0) return RecordSide.NewRecord(record, IsKey, null, ConvertTimestamp(raw, null));
        var value = Requirements.RequireMap(raw, Purpose);
        var updated = MapCopy.Of(value);
        updated[_field] = ConvertTimestamp(MapCopy.Get(value, _field), null);
        return RecordSide.NewRecord(record, IsKey, null, updated);
    }

    private static string TimestampTypeFromSchema(Schema schema)
    {
        switch (schema.Name)
        {
            case ConnectTimestamp.LogicalName: return TypeTimestamp;
            case ConnectDate.LogicalName: return TypeDate;
            case ConnectTime.LogicalName: return TypeTime;
        }
        return schema.Type switch
        {
            SchemaType.String => TypeString,
            SchemaType.Int64 => TypeUnix,
            _ => throw new ConnectException($"Schema {schema} does not correspond to a known timestamp type format"),
        };
    }

    private static string InferTimestampType(object timestamp) => timestamp switch
    {
        LogicalTime => TypeTimestamp,
        long => TypeUnix,
        string => TypeString,
        _ => throw new DataException($"TimestampConverter does not support {timestamp.GetType().FullName} objects as timestamps"),
    };

    private Schema TargetSchema(bool optional) => _targetType switch
    {
        TypeString => optional ? Schema.OptionalStringSchema : Schema.StringSchema,
        TypeUnix => optional ? Schema.OptionalInt64Schema : Schema.Int64Schema,
        TypeDate => optional ? OptionalDateSchema : ConnectDate.Schema(),
        TypeTime => optional ? OptionalTimeSchema : ConnectTime.Schema(),
        _ => optional ? OptionalTimestampSchema : ConnectTimestamp.Schema(),
    };

    private object? ConvertTimestamp(object? timestamp, string? sourceType)
    {
        if (timestamp is null) return null;
        sourceType ??= InferTimestampType(timestamp);
        var millis = ToEpochMillis(timestamp, sourceType);
        return FromEpochMillis(millis);
    }

    private long ToEpochMillis(object value, string sourceType)
    {
        switch (sourceType)
        {
            case TypeString:
                if (value is not string text)
                    throw new DataException($"Expected string timestamp to be a String, but found {value.GetType().FullName}");
                var format = _format ?? throw new DataException(
                    "TimestampConverter requires the format option to parse string timestamps, but none is configured");
                if (!format.TryParse(text, out var parsed))
                    throw new DataException($"Could not parse timestamp: value ({text}) does not match pattern ({format.Pattern})");
                return parsed;
            case TypeUnix:
                if (value is not long unix)
                    throw new DataException($"Expected Unix timestamp to be a Long, but found {value.GetType().FullName}");
                return _unixPrecision switch
                {
                    UnixPrecisionSeconds => SaturatingMultiply(unix, 1000),
                    UnixPrecisionMicros => unix / 1000,
                    UnixPrecisionNanos => unix / 1_000_000,
                    _ => unix,
                };
            default:
                if (value is not LogicalTime logical)
                    throw new DataException($"Expected {sourceType} to be a java.util.Date, but found {value.GetType().FullName}");
                return logical.EpochMillis;
        }
    }

    private object FromEpochMillis(long millis)
    {
        switch (_targetType)
        {
            case TypeString:
                return _format!.Format(millis);
            case TypeUnix:
                return _unixPrecision switch
                {
                    UnixPrecisionSeconds => millis / 1000,
                    UnixPrecisionMicros => SaturatingMultiply(millis, 1000),
                    UnixPrecisionNanos => SaturatingMultiply(millis, 1_000_000),
                    _ => millis,
                };
            case TypeDate:
                // Truncated to the start of the UTC day.
                return new LogicalTime(JavaDateFormat.FloorDiv(millis, MillisPerDay) * MillisPerDay);
            case TypeTime:
                // The time of day, on 1970-01-01.
                return new LogicalTime(JavaDateFormat.FloorMod(millis, MillisPerDay));
            default:
                return new LogicalTime(millis);
        }
    }

    // java.util.concurrent.TimeUnit conversions saturate instead of overflowing.
    private static long SaturatingMultiply(long value, long factor)
    {
        if (value > long.MaxValue / factor) return long.MaxValue;
        if (value < long.MinValue / factor) return long.MinValue;
        return value * factor;
    }

    public void Close()
    {
    }

    /// <summary>TimestampConverter$Key: converts the record key (or one of its fields).</summary>
    [PluginName("org.apache.kafka.connect.transforms.TimestampConverter$Key")]
    public sealed class Key : TimestampConverter<R>
    {
        protected override bool IsKey => true;
    }

    /// <summary>TimestampConverter$Value: converts the record value (or one of its fields).</summary>
    [PluginName("org.apache.kafka.connect.transforms.TimestampConverter$Value")]
    public sealed class Value : TimestampConverter<R>
    {
        protected override bool IsKey => false;
    }
}
