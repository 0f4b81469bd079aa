using System.Collections;
using System.Globalization;
using System.Numerics;
using System.Text;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;
using ConnectDate = OrleansConnect.Connect.Data.Date;
using ConnectTime = OrleansConnect.Connect.Data.Time;
using ConnectTimestamp = OrleansConnect.Connect.Data.Timestamp;

namespace OrleansConnect.Plugins.Transforms.Util;

/// <summary>
/// Kafka Connect's Values utility: infers a schema and value from text (<see cref="ParseString"/>, used by
/// SimpleHeaderConverter and InsertHeader), writes values as text (<see cref="ConvertToString"/>) and converts values
/// between primitive types (used by MaskField and to align parsed arrays and maps).
/// </summary>
/// <remarks>
/// As in Kafka, an array or map whose elements have no common type (or are all null, or none) gets an ARRAY or MAP
/// schema without the element schema (<see cref="SchemaBuilder.ArrayOfNull"/>, <see cref="SchemaBuilder.MapOfNull"/>,
/// <see cref="SchemaBuilder.MapWithNullValues"/>).
/// </remarks>
public static class ConnectValues
{
    private const long MillisPerDay = 86_400_000L;
    private const string NullLiteral = "null";
    private const string TrueLiteral = "true";
    private const string FalseLiteral = "false";

    internal const string DateFormatPattern = "yyyy-MM-dd";
    internal const string TimeFormatPattern = "HH:mm:ss.SSS'Z'";
    internal const string TimestampFormatPattern = "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'";

    private static readonly JavaDateFormat DateFormat = new(DateFormatPattern);
    private static readonly JavaDateFormat TimeFormat = new(TimeFormatPattern);
    private static readonly JavaDateFormat TimestampFormat = new(TimestampFormatPattern);
    private const int DateLength = 10;
    private const int TimeLength = 13;
    private const int TimestampLength = 24;

    private static readonly SchemaAndValue True = new(Schema.BooleanSchema, true);
    private static readonly SchemaAndValue False = new(Schema.BooleanSchema, false);

    // ------------------------------------------------------------------ parsing

    /// <summary>
    /// The schema and value the text describes: booleans, integers (the narrowest of int8..int64, then Decimal),
    /// floats (float32 if finite, else float64), ISO dates/times/timestamps, arrays "[..]" and maps "{..}";
    /// anything else (and "") is a string. "null" gives <see cref="SchemaAndValue.Null"/>.
    /// </summary>
    public static SchemaAndValue ParseString(string? value)
    {
        if (value is null) return SchemaAndValue.Null;
        if (value.Length == 0) return new SchemaAndValue(Schema.StringSchema, value);
        return Parse(new Parser(value), embedded: false) ?? SchemaAndValue.Null;
    }

    /// <summary>
    /// Kafka's Values.inferSchema: the schema of a schemaless value, or null when none can be inferred (null, an
    /// empty list or map, elements of different types or of a type with no schema). A list or map of lists or maps
    /// gets element schemas without their own element schemas, as Kafka's SchemaDetector builds them from the type.
    /// </summary>
    public static Schema? InferSchema(object? value) => value switch
    {
        string => Schema.StringSchema,
        bool => Schema.BooleanSchema,
        sbyte => Schema.Int8Schema,
        short => Schema.Int16Schema,
        int => Schema.Int32Schema,
        long => Schema.Int64Schema,
        float => Schema.Float32Schema,
        double => Schema.Float64Schema,
        byte[] or ArraySegment<byte> or ReadOnlyMemory<byte> or Memory<byte> => Schema.BytesSchema,
        IList list => InferListSchema(list),
        IDictionary map => InferMapSchema(map),
        Struct st => st.Schema,
        _ => null,
    };

    private static Schema? InferListSchema(IList list)
    {
        if (list.Count == 0) return null;
        var detector = new SchemaDetector();
        foreach (var element in list)
        {
            if (!detector.CanDetect(element)) return null;
        }
        return detector.Schema() is { } elementSchema ? SchemaBuilder.Array(elementSchema).Build() : null;
    }

    private static Schema? InferMapSchema(IDictionary map)
    {
        if (map.Count == 0) return null;
        var keyDetector = new SchemaDetector();
        var valueDetector = new SchemaDetector();
        foreach (DictionaryEntry entry in map)
        {
            if (!keyDetector.CanDetect(entry.Key) || !valueDetector.CanDetect(entry.Value)) return null;
        }
        return keyDetector.Schema() is { } keySchema && valueDetector.Schema() is { } valueSchema
            ? SchemaBuilder.Map(keySchema, valueSchema).Build()
            : null;
    }

    /// <summary>Kafka's SchemaDetector: the elements must share one schema type; nulls make the schema optional.</summary>
    private sealed class SchemaDetector
    {
        private SchemaType? _knownType;
        private bool _optional;

        public bool CanDetect(object? value)
        {
            if (value is null)
            {
                _optional = true;
                return true;
            }
            var schema = InferSchema(value);
            if (schema is null) return false;
            if (_knownType is null) _knownType = schema.Type;
            else if (_knownType != schema.Type) return false;
            return true;
        }

        /// <summary>A schema of the detected type only (no name, fields or element schemas). Kafka builds
        /// SchemaBuilder.type(null) when every element was null, which throws; here that is no schema.</summary>
        public Schema? Schema()
        {
            if (_knownType is not { } type) return null;
            var builder = type switch
            {
                SchemaType.Array => SchemaBuilder.ArrayOfNull(),
                SchemaType.Map => SchemaBuilder.MapOfNull(),
                _ => SchemaBuilder.Type(type),
            };
            if (_optional) builder.Optional();
            return builder.Build();
        }
    }

    private static bool CanParseSingleTokenLiteral(Parser parser, bool embedded, string literal)
    {
        var start = parser.Mark();
        // A top-level literal must be the whole text: "true}" is a string, not true.
        if (parser.CanConsume(literal) && (embedded || !parser.HasNext())) return true;
        parser.RewindTo(start);
        return false;
    }

    private static SchemaAndValue? Parse(Parser parser, bool embedded)
    {
        if (!parser.HasNext()) return null;
        if (embedded && parser.CanConsume("\""))
        {
            var sb = new StringBuilder();
            while (parser.HasNext())
            {
                if (parser.CanConsume("\"")) break;
                sb.Append(parser.Next());
            }
            var content = sb.ToString();
            // Quoted text stays a string unless it is a date, time or timestamp.
            var inner = ParseString(content);
            if (inner.Schema?.Name is ConnectDate.LogicalName or ConnectTime.LogicalName or ConnectTimestamp.LogicalName) return inner;
            return new SchemaAndValue(Schema.StringSchema, content);
        }

        if (CanParseSingleTokenLiteral(parser, embedded, NullLiteral)) return null;
        if (CanParseSingleTokenLiteral(parser, embedded, TrueLiteral)) return True;
        if (CanParseSingleTokenLiteral(parser, embedded, FalseLiteral)) return False;

        var startPosition = parser.Mark();
        try
        {
            if (parser.CanConsume("[")) return ParseArray(parser);
            if (parser.CanConsume("{")) return ParseMap(parser);
        }
        catch (DataException)
        {
            // Not a well-formed array or map: read it as text instead.
            parser.RewindTo(startPosition);
        }

        var token = parser.Next();
        if (JavaNumbers.Trim(token).Length == 0) return new SchemaAndValue(Schema.StringSchema, token);
        token = JavaNumbers.Trim(token);
        var firstChar = token[0];
        var firstCharIsDigit = char.IsDigit(firstChar);
        SchemaAndValue? scalar = null;
        if (firstCharIsDigit)
        {
            // A time or timestamp is split into 5 tokens by its unescaped colons; try those first.
            var position = parser.Mark();
            var remainder = parser.Next(4);
            if (remainder is not null) scalar = ParseAsTemporal(token + remainder);
            if (scalar is null)
            {
                parser.RewindTo(position);
                scalar = ParseAsTemporal(token);
            }
        }
        if (scalar is null && (firstCharIsDigit || firstChar == '+' || firstChar == '-')) scalar = ParseAsNumber(token);
        // A top-level scalar must be the whole text ("1,2" is a string), as for the literals above.
        if (scalar is not null && (embedded || !parser.HasNext())) return scalar;
        if (embedded) throw new DataException("Failed to parse embedded value");
        return new SchemaAndValue(Schema.StringSchema, parser.Original);
    }

    private static SchemaAndValue ParseArray(Parser parser)
    {
        var result = new List<object?>();
        var elementSchema = new SchemaMerger();
        while (parser.HasNext())
        {
            if (parser.CanConsume("]"))
            {
                // No common element type (or only nulls, or no element): an ARRAY without element schema, as Kafka.
                if (elementSchema.Common is not { } common) return new SchemaAndValue(SchemaBuilder.ArrayOfNull().Build(), result);
                var listSchema = SchemaBuilder.Array(common).Build();
                return new SchemaAndValue(listSchema, AlignList(common, result));
            }
            if (parser.CanConsume(",")) throw new DataException("Unable to parse an empty array element: " + parser.Original);
            var element = Parse(parser, embedded: true);
            elementSchema.Merge(element);
            result.Add(element?.Value);

            var current = parser.Mark();
            if (parser.CanConsume("]")) parser.RewindTo(current);
            else if (!parser.CanConsume(",")) throw new DataException("Array elements missing ',' delimiter");
        }
        if (parser.Previous == ",") throw new DataException("Array is missing element after ',': " + parser.Original);
        throw new DataException("Array is missing terminating ']': " + parser.Original);
    }

    private static SchemaAndValue ParseMap(Parser parser)
    {
        var keys = new List<object>();
        var values = new List<object?>();
        var keyMerger = new SchemaMerger();
        var valueMerger = new SchemaMerger();
        while (parser.HasNext())
        {
            if (parser.CanConsume("}"))
            {
                var keySchema = keyMerger.Common;
                var valueSchema = valueMerger.Common;
                Schema mapSchema;
                if (keySchema is not null && valueSchema is not null)
                {
                    mapSchema = SchemaBuilder.Map(keySchema, valueSchema).Build();
                    for (var i = 0; i < keys.Count; i++)
                    {
                        keys[i] = ConvertTo(keySchema, null, keys[i])!;
                        values[i] = ConvertTo(valueSchema, null, values[i]);
                    }
                }
                else if (keySchema is not null)
                {
                    // Values of no common type (or all null): a MAP with only its key schema, as Kafka.
                    mapSchema = SchemaBuilder.MapWithNullValues(keySchema).Build();
                    for (var i = 0; i < keys.Count; i++) keys[i] = ConvertTo(keySchema, null, keys[i])!;
                }
                else
                {
                    // Keys of no common type (whatever the values), or no entry: a MAP without element schemas.
                    mapSchema = SchemaBuilder.MapOfNull().Build();
                }
                var map = new Dictionary<object, object?>(keys.Count);
                for (var i = 0; i < keys.Count; i++) map[keys[i]] = values[i];
                return new SchemaAndValue(mapSchema, map);
            }
            if (parser.CanConsume(",")) throw new DataException("Unable to parse a map entry with no key or value: " + parser.Original);
            var key = Parse(parser, embedded: true);
            if (key?.Value is null) throw new DataException("Map entry may not have a null key: " + parser.Original);
            if (!parser.CanConsume(":"))
                throw new DataException($"Map entry is missing ':' at {parser.Position} in {parser.Original}");
            var value = Parse(parser, embedded: true);
            // A repeated key keeps its first position and the last value (as a LinkedHashMap).
            var existing = IndexOfKey(keys, key.Value.Value);
            if (existing >= 0) values[existing] = value?.Value;
            else
            {
                keys.Add(key.Value.Value!);
                values.Add(value?.Value);
            }
            parser.CanConsume(",");
            keyMerger.Merge(key);
            valueMerger.Merge(value);
        }
        if (parser.Previous == ",") throw new DataException("Map is missing element after ',': " + parser.Original);
        throw new DataException("Map is missing terminating '}': " + parser.Original);
    }

    private static int IndexOfKey(List<object> keys, object? key)
    {
        for (var i = 0; i < keys.Count; i++)
        {
            if (Values.DeepEquals(keys[i], key)) return i;
        }
        return -1;
    }

    private static List<object?> AlignList(Schema elementSchema, List<object?> input)
    {
        var result = new List<object?>(input.Count);
        foreach (var item in input) result.Add(ConvertTo(elementSchema, null, item));
        return result;
    }

    private static SchemaAndValue? ParseAsTemporal(string token)
    {
        // Escaped colons ("12\:30") are allowed in the text.
        token = token.Replace("\\:", ":", StringComparison.Ordinal);
        switch (token.Length)
        {
            case TimeLength when TimeFormat.TryParse(token, out var time):
                return new SchemaAndValue(ConnectTime.Schema(), new LogicalTime(time));
            case TimestampLength when TimestampFormat.TryParse(token, out var timestamp):
                return new SchemaAndValue(ConnectTimestamp.Schema(), new LogicalTime(timestamp));
            case DateLength when DateFormat.TryParse(token, out var date):
                return new SchemaAndValue(ConnectDate.Schema(), new LogicalTime(date));
            default:
                return null;
        }
    }

    private static SchemaAndValue? ParseAsNumber(string token)
    {
        if (!JavaBigDecimal.TryParse(token, out var number)) return null;
        if (number.TryToInt64Exact(out var exact))
        {
            if (exact is >= sbyte.MinValue and <= sbyte.MaxValue) return new SchemaAndValue(Schema.Int8Schema, (sbyte)exact);
            if (exact is >= short.MinValue and <= short.MaxValue) return new SchemaAndValue(Schema.Int16Schema, (short)exact);
            if (exact is >= int.MinValue and <= int.MaxValue) return new SchemaAndValue(Schema.Int32Schema, (int)exact);
            return new SchemaAndValue(Schema.Int64Schema, exact);
        }
        if (number.Scale != 0)
        {
            var f = number.ToSingle();
            if (!float.IsInfinity(f)) return new SchemaAndValue(Schema.Float32Schema, f);
            var d = number.ToDouble();
            if (!double.IsInfinity(d)) return new SchemaAndValue(Schema.Float64Schema, d);
        }
        try
        {
            var value = ConnectDecimal.FromUnscaled(number.Unscaled, number.Scale);
            return new SchemaAndValue(ConnectDecimal.Schema(number.Scale), value);
        }
        catch (DataException)
        {
            // Beyond what System.Decimal holds: not representable as a Connect decimal here.
            return null;
        }
    }

    /// <summary>
    /// Kafka's SchemaMerger: the schema common to the parsed elements so far. Nulls (and schemaless elements) are
    /// skipped; once two elements have no common schema there is none, whatever follows (so the order of the
    /// elements does not matter).
    /// </summary>
    private sealed class SchemaMerger
    {
        private bool _compatible = true;

        public Schema? Common { get; private set; }

        public void Merge(SchemaAndValue? latest)
        {
            if (latest?.Schema is not { } schema || !_compatible) return;
            if (Common is null)
            {
                Common = schema;
                return;
            }
            Common = MergeSchemas(Common, schema);
            _compatible = Common is not null;
        }
    }

    /// <summary>Kafka's mergeSchemas: numbers widen to the wider type, equal types stay, anything else has no common schema.</summary>
    private static Schema? MergeSchemas(Schema previous, Schema newSchema)
    {
        var previousType = previous.Type;
        var newType = newSchema.Type;
        if (previousType != newType)
        {
            var previousRank = NumericRank(previousType);
            var newRank = NumericRank(newType);
            if (previousRank < 0 || newRank < 0) return null;
            return newRank > previousRank ? newSchema : previous;
        }
        if (previous.IsOptional == newSchema.IsOptional) return previous.IsOptional ? previous : newSchema;
        return previous.Equals(newSchema) ? previous : null;
    }

    private static int NumericRank(SchemaType type) => type switch
    {
        SchemaType.Int8 => 0,
        SchemaType.Int16 => 1,
        SchemaType.Int32 => 2,
        SchemaType.Int64 => 3,
        SchemaType.Float32 => 4,
        SchemaType.Float64 => 5,
        _ => -1,
    };

    // ------------------------------------------------------------------ writing

    /// <summary>The text form Kafka's Values.convertToString gives (what SimpleHeaderConverter writes); null stays null.</summary>
    public static string? ConvertToString(Schema? schema, object? value)
    {
        _ = schema;
        if (value is null) return null;
        var sb = new StringBuilder();
        Append(sb, value, embedded: false);
        return sb.ToString();
    }

    private static void Append(StringBuilder sb, object? value, bool embedded)
    {
        switch (value)
        {
            case null:
                sb.Append(NullLiteral);
                break;
            case sbyte or short or int or long or float or double or decimal or byte or ushort or uint or ulong:
                Values.AppendJavaString(sb, value);
                break;
            case bool b:
                sb.Append(b ? TrueLiteral : FalseLiteral);
                break;
            case string s:
                if (embedded) sb.Append('"').Append(Escape(s)).Append('"');
                else sb.Append(s);
                break;
            case byte[] bytes:
                var encoded = Convert.ToBase64String(bytes);
                if (embedded) sb.Append('"').Append(encoded).Append('"');
                else sb.Append(encoded);
                break;
            case Struct st:
                sb.Append('{');
                var firstField = true;
                foreach (var field in st.Schema.Fields)
                {
                    if (!firstField) sb.Append(',');
                    firstField = false;
                    Append(sb, field.Name, true);
                    sb.Append(':');
                    Append(sb, st.Get(field), true);
                }
                sb.Append('}');
                break;
            case IDictionary map:
                sb.Append('{');
                var firstEntry = true;
                foreach (DictionaryEntry entry in map)
                {
                    if (!firstEntry) sb.Append(',');
                    firstEntry = false;
                    Append(sb, entry.Key, true);
                    sb.Append(':');
                    Append(sb, entry.Value, true);
                }
                sb.Append('}');
                break;
            case IList list:
                sb.Append('[');
                for (var i = 0; i < list.Count; i++)
                {
                    if (i > 0) sb.Append(',');
                    Append(sb, list[i], true);
                }
                sb.Append(']');
                break;
            case LogicalTime t:
                sb.Append(FormatDate(t.EpochMillis));
                break;
            default:
                throw new DataException($"Failed to serialize unexpected value type {value.GetType().FullName}: {JavaValueText.Format(value)}");
        }
    }

    /// <summary>
    /// Kafka's Values.dateFormatFor: the format is picked from the millisecond value, not a schema: under one day
    /// "HH:mm:ss.SSS'Z'", whole days "yyyy-MM-dd", otherwise "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'" (all UTC).
    /// </summary>
    public static string FormatDate(long epochMillis)
    {
        if (epochMillis < MillisPerDay) return TimeFormat.Format(epochMillis);
        if (epochMillis % MillisPerDay == 0) return DateFormat.Format(epochMillis);
        return TimestampFormat.Format(epochMillis);
    }

    private static string Escape(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);

    // ------------------------------------------------------------------ conversion

    public static sbyte? ConvertToByte(Schema? schema, object? value) => (sbyte?)ConvertTo(Schema.OptionalInt8Schema, schema, value);

    public static short? ConvertToShort(Schema? schema, object? value) => (short?)ConvertTo(Schema.OptionalInt16Schema, schema, value);

    public static int? ConvertToInteger(Schema? schema, object? value) => (int?)ConvertTo(Schema.OptionalInt32Schema, schema, value);

    public static long? ConvertToLong(Schema? schema, object? value) => (long?)ConvertTo(Schema.OptionalInt64Schema, schema, value);

    public static float? ConvertToFloat(Schema? schema, object? value) => (float?)ConvertTo(Schema.OptionalFloat32Schema, schema, value);

    public static double? ConvertToDouble(Schema? schema, object? value) => (double?)ConvertTo(Schema.OptionalFloat64Schema, schema, value);

    public static bool? ConvertToBoolean(Schema? schema, object? value) => (bool?)ConvertTo(Schema.OptionalBooleanSchema, schema, value);

    /// <summary>Kafka's Values.convertTo: <paramref name="value"/> as the type of <paramref name="toSchema"/>, or DataException.</summary>
    public static object? ConvertTo(Schema toSchema, Schema? fromSchema, object? value)
    {
        ArgumentNullException.ThrowIfNull(toSchema);
        if (value is null)
        {
            if (toSchema.IsOptional) return null;
            throw new DataException("Unable to convert a null value to a schema that requires a value");
        }
        switch (toSchema.Type)
        {
            case SchemaType.Bytes:
                if (toSchema.Name == ConnectDecimal.LogicalName)
                {
                    switch (value)
                    {
                        case byte[] raw: return ConnectDecimal.ToLogical(toSchema, raw);
                        case decimal: return value;
                        case string s when JavaBigDecimal.TryParse(s, out var parsed):
                            return ConnectDecimal.FromUnscaled(parsed.Unscaled, parsed.Scale);
                    }
                    if (IsNumber(value)) return (decimal)AsDouble(value, null);
                }
                if (value is byte[]) return value;
                if (value is decimal m) return ConnectDecimal.FromLogical(toSchema, m);
                break;
            case SchemaType.String:
                var sb = new StringBuilder();
                Append(sb, value, embedded: false);
                return sb.ToString();
            case SchemaType.Boolean:
                if (value is bool) return value;
                if (value is string text && ParseString(text).Value is bool parsedBool) return parsedBool;
                return AsLong(value, fromSchema) != 0L;
            case SchemaType.Int8:
                return value as sbyte? ?? unchecked((sbyte)AsLong(value, fromSchema));
            case SchemaType.Int16:
                return value as short? ?? unchecked((short)AsLong(value, fromSchema));
            case SchemaType.Int32:
                if (toSchema.Name == ConnectDate.LogicalName) return ToDate(toSchema, fromSchema, value);
                if (toSchema.Name == ConnectTime.LogicalName) return ToTime(toSchema, fromSchema, value);
                return value as int? ?? unchecked((int)AsLong(value, fromSchema));
            case SchemaType.Int64:
                if (toSchema.Name == ConnectTimestamp.LogicalName) return ToTimestamp(toSchema, fromSchema, value);
                return value as long? ?? AsLong(value, fromSchema);
            case SchemaType.Float32:
                return value as float? ?? (float)AsDouble(value, fromSchema);
            case SchemaType.Float64:
                return value as double? ?? AsDouble(value, fromSchema);
            case SchemaType.Array:
                if (value is string arrayText) value = ParseString(arrayText).Value;
                if (value is IList) return value;
                break;
            case SchemaType.Map:
                if (value is string mapText) value = ParseString(mapText).Value;
                if (value is IDictionary) return value;
                break;
            case SchemaType.Struct:
                if (value is Struct) return value;
                break;
        }
        throw new DataException($"Unable to convert {Values.ToJavaString(value)} (class {value?.GetType().FullName ?? "null"}) to {toSchema}");
    }

    private static object ParsedOrSelf(object value) =>
        value is string s ? ParseString(s).Value ?? throw new DataException($"Unable to convert {s} to a date or time") : value;

    private static object ToDate(Schema toSchema, Schema? fromSchema, object value)
    {
        value = ParsedOrSelf(value);
        if (value is LogicalTime t)
        {
            if (fromSchema is null || fromSchema.Name == ConnectDate.LogicalName) return t;
            // The day count truncated toward zero and narrowed to an int, as Java's (int) (millis / MILLIS_PER_DAY).
            if (fromSchema.Name == ConnectTimestamp.LogicalName)
                return ConnectDate.ToLogical(toSchema, unchecked((int)(t.EpochMillis / MillisPerDay)));
        }
        return ConnectDate.ToLogical(toSchema, unchecked((int)AsLong(value, fromSchema)));
    }

    private static object ToTime(Schema toSchema, Schema? fromSchema, object value)
    {
        value = ParsedOrSelf(value);
        if (value is LogicalTime t)
        {
            if (fromSchema is null || fromSchema.Name == ConnectTime.LogicalName) return t;
            if (fromSchema.Name == ConnectTimestamp.LogicalName)
                return ConnectTime.ToLogical(toSchema, (int)JavaDateFormat.FloorMod(t.EpochMillis, MillisPerDay));
        }
        return ConnectTime.ToLogical(toSchema, unchecked((int)AsLong(value, fromSchema)));
    }

    private static object ToTimestamp(Schema toSchema, Schema? fromSchema, object value)
    {
        value = ParsedOrSelf(value);
        if (value is LogicalTime t)
        {
            if (fromSchema is null) return t;
            if (fromSchema.Name == ConnectDate.LogicalName)
                return ConnectTimestamp.ToLogical(toSchema, ConnectDate.FromLogical(fromSchema, t) * MillisPerDay);
            if (fromSchema.Name == ConnectTime.LogicalName)
                return ConnectTimestamp.ToLogical(toSchema, ConnectTime.FromLogical(fromSchema, t));
            if (fromSchema.Name == ConnectTimestamp.LogicalName) return t;
        }
        return ConnectTimestamp.ToLogical(toSchema, AsLong(value, fromSchema));
    }

    private static bool IsNumber(object value) =>
        value is sbyte or short or int or long or float or double or decimal or byte or ushort or uint or ulong;

    /// <summary>Java's Number.longValue (floats truncate and saturate, decimals keep the low 64 bits) or a parsed string.</summary>
    public static long AsLong(object value, Schema? fromSchema)
    {
        switch (value)
        {
            case sbyte v: return v;
            case short v: return v;
            case int v: return v;
            case long v: return v;
            case byte v: return v;
            case ushort v: return v;
            case uint v: return v;
            case ulong v: return unchecked((long)v);
            case float v: return JavaNumbers.DoubleToLong(v);
            case double v: return JavaNumbers.DoubleToLong(v);
            case decimal v: return JavaNumbers.LowBits(new BigInteger(decimal.Truncate(v)));
            case string s when JavaBigDecimal.TryParse(s, out var parsed):
                return JavaNumbers.LowBits(parsed.TruncateToInteger());
        }
        if (fromSchema is not null)
        {
            if (value is LogicalTime t)
            {
                switch (fromSchema.Name)
                {
                    case ConnectDate.LogicalName: return ConnectDate.FromLogical(fromSchema, t);
                    case ConnectTime.LogicalName: return ConnectTime.FromLogical(fromSchema, t);
                    case ConnectTimestamp.LogicalName: return ConnectTimestamp.FromLogical(fromSchema, t);
                }
            }
            throw new DataException($"Unable to convert {Values.ToJavaString(value)} (class {value.GetType().FullName}) to {fromSchema}");
        }
        throw new DataException($"Unable to convert {Values.ToJavaString(value)} (class {value.GetType().FullName}) to a number");
    }

    /// <summary>Java's Number.doubleValue or a parsed string; otherwise as <see cref="AsLong"/>.</summary>
    public static double AsDouble(object value, Schema? fromSchema)
    {
        switch (value)
        {
            case float v: return v;
            case double v: return v;
            case decimal v: return (double)v;
            case string s when JavaBigDecimal.TryParse(s, out var parsed): return parsed.ToDouble();
        }
        return AsLong(value, fromSchema);
    }

    // ------------------------------------------------------------------ tokenizer

    /// <summary>Splits text into tokens at the delimiters : , { } [ ] " (a backslash escapes the next char).</summary>
    private sealed class Parser(string original)
    {
        private int _index;
        private string? _nextToken;

        public string Original { get; } = original;

        public string? Previous { get; private set; }

        public int Position => _index;

        public int Mark() => _index - (_nextToken?.Length ?? 0);

        public void RewindTo(int position)
        {
            _index = position;
            _nextToken = null;
            Previous = null;
        }

        public bool HasNext() => _nextToken is not null || _index < Original.Length;

        public string Next()
        {
            if (_nextToken is not null)
            {
                Previous = _nextToken;
                _nextToken = null;
            }
            else
            {
                Previous = ConsumeNextToken();
            }
            return Previous;
        }

        /// <summary>The text of the next <paramref name="n"/> tokens, or null (and nothing consumed) when fewer remain.</summary>
        public string? Next(int n)
        {
            var start = Mark();
            for (var i = 0; i < n; i++)
            {
                if (!HasNext())
                {
                    RewindTo(start);
                    return null;
                }
                Next();
            }
            return Original[start.._index];
        }

        private string ConsumeNextToken()
        {
            var escaped = false;
            var start = _index;
            while (_index < Original.Length)
            {
                var c = Original[_index];
                switch (c)
                {
                    case '\\':
                        escaped = !escaped;
                        break;
                    case ':' or ',' or '{' or '}' or '[' or ']' or '"':
                        if (!escaped)
                        {
                            if (start < _index) return Original[start.._index];
                            _index++;
                            return Original.Substring(start, 1);
                        }
                        escaped = false;
                        break;
                    default:
                        escaped = false;
                        break;
                }
                _index++;
            }
            return Original[start.._index];
        }

        /// <summary>Consumes the next token if, trimmed, it equals <paramref name="expected"/>; blank tokens before it are skipped.</summary>
        public bool CanConsume(string expected)
        {
            if (_nextToken is null)
            {
                if (!HasNext()) return false;
                _nextToken = ConsumeNextToken();
            }
            while (JavaNumbers.Trim(_nextToken).Length == 0 && _index < Original.Length) _nextToken = ConsumeNextToken();
            if (JavaNumbers.Trim(_nextToken) != expected) return false;
            _nextToken = null;
            return true;
        }
    }
}
