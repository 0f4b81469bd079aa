using System.Globalization;
using System.Numerics;
using System.Text;
using OrleansConnect.Connect.Data;
using ConnectDate = OrleansConnect.Connect.Data.Date;
using ConnectTime = OrleansConnect.Connect.Data.Time;
using ConnectTimestamp = OrleansConnect.Connect.Data.Timestamp;

namespace OrleansConnect.Plugins.Postgres;

/// <summary>A PostgreSQL type as the catalog describes it: base types by OID, enums with their labels, arrays with
/// their element type.</summary>
public sealed record PgType(uint Oid, string Name, char Kind, PgType? Element = null, IReadOnlyList<string>? EnumLabels = null);

/// <summary>One column of a captured table.</summary>
public sealed record PgColumn(string Name, PgType Type, int TypeModifier, bool NotNull);

/// <summary>How one column becomes a Connect field: its schema, and the conversion of PostgreSQL's text form (what
/// pgoutput sends in text mode, and what the snapshot reads with ::text) into the Connect value Debezium emits.</summary>
public sealed class ColumnConverter(Schema schema, Func<string, object?> fromText, object fallback, object? unavailable)
{
    public Schema Schema { get; } = schema;

    public object? FromText(string? text) => text is null ? (Schema.IsOptional ? null : fallback) : fromText(text);

    /// <summary>The value of an unchanged TOASTed column the server did not send: the placeholder adapted to the
    /// column's type (strings and bytes; arrays of them), else null, as Debezium does.</summary>
    public object? Unavailable => unavailable ?? (Schema.IsOptional ? null : fallback);
}

/// <summary>Debezium's PostgreSQL type mapping (see docs/connectors/postgresql.md) from text values.</summary>
public static class PgValueConverters
{
    public const uint Bool = 16, Bytea = 17, Char = 18, Name = 19, Int8 = 20, Int2 = 21, Int4 = 23, Text = 25, Oid = 26,
        Json = 114, Xml = 142, Float4 = 700, Float8 = 701, Bpchar = 1042, Varchar = 1043, Date = 1082, Time = 1083,
        TimestampOid = 1114, TimestampTz = 1184, Numeric = 1700, Uuid = 2950, Jsonb = 3802;

    /// <summary>The converter of a column, or null when the type is not supported (Debezium leaves such columns out
    /// unless include.unknown.datatypes).</summary>
    public static ColumnConverter? For(PgColumn column, PostgresConnectorConfig config)
    {
        var optional = !column.NotNull;
        if (column.Type.Kind == 'A' || column.Type.Element is not null)
        {
            if (column.Type.Element is null) return null;
            var element = ScalarFor(column.Type.Element, column.TypeModifier, true, config);
            if (element is null) return null;
            var builder = SchemaBuilder.Array(element.Value.Schema);
            if (optional) builder.Optional();
            var elementFromText = element.Value.FromText;
            object? unavailable = element.Value.Schema.Type == SchemaType.String ? new List<object?> { config.Unavailable } : null;
            return new ColumnConverter(builder.Build(), text => ParseArray(text).Select(e => e is null ? null : elementFromText(e)).ToList(),
                new List<object?>(), unavailable);
        }
        var scalar = ScalarFor(column.Type, column.TypeModifier, optional, config);
        if (scalar is null) return null;
        var (schema, fromText, fallback) = scalar.Value;
        object? placeholder = schema.Type switch
        {
            SchemaType.String => config.Unavailable,
            SchemaType.Bytes when schema.Name is null => Encoding.UTF8.GetBytes(config.Unavailable),
            _ => null,
        };
        return new ColumnConverter(schema, fromText, fallback, placeholder);
    }

    private static (Schema Schema, Func<string, object?> FromText, object Fallback)? ScalarFor(PgType type, int typmod, bool optional, PostgresConnectorConfig config)
    {
        SchemaBuilder B(SchemaBuilder b) => optional ? b.Optional() : b;
        var adaptive = config.TimeMode == "adaptive";
        if (type.Kind == 'e' && type.EnumLabels is not null)
            return (B(SchemaBuilder.String().Name("io.debezium.data.Enum").Version(1).Parameter("allowed", string.Join(",", type.EnumLabels))).Build(), t => t, "");
        switch (type.Oid)
        {
            case Bool: return (B(SchemaBuilder.Bool()).Build(), t => t == "t", false);
            case Int2: return (B(SchemaBuilder.Int16()).Build(), t => short.Parse(t, CultureInfo.InvariantCulture), (short)0);
            case Int4: return (B(SchemaBuilder.Int32()).Build(), t => int.Parse(t, CultureInfo.InvariantCulture), 0);
            case Int8:
            case Oid: return (B(SchemaBuilder.Int64()).Build(), t => long.Parse(t, CultureInfo.InvariantCulture), 0L);
            case Float4: return (B(SchemaBuilder.Float32()).Build(), t => float.Parse(t, NumberStyles.Float, CultureInfo.InvariantCulture), 0f);
            case Float8: return (B(SchemaBuilder.Float64()).Build(), t => double.Parse(t, NumberStyles.Float, CultureInfo.InvariantCulture), 0d);
            case Text:
            case Varchar:
            case Bpchar:
            case Char:
            case Name: return (B(SchemaBuilder.String()).Build(), t => t, "");
            case Uuid: return (B(SchemaBuilder.String().Name("io.debezium.data.Uuid").Version(1)).Build(), t => t, "");
            case Json:
            case Jsonb: return (B(SchemaBuilder.String().Name("io.debezium.data.Json").Version(1)).Build(), t => t, "{}");
            case Xml: return (B(SchemaBuilder.String().Name("io.debezium.data.Xml").Version(1)).Build(), t => t, "");
            case Bytea: return BinaryFor(config.BinaryMode, optional);
            case Numeric: return NumericFor(typmod, optional, config.DecimalMode);
            case Date:
                return adaptive
                    ? (B(SchemaBuilder.Int32().Name("io.debezium.time.Date").Version(1)).Build(), t => ParseDateDays(t), 0)
                    : (B(ConnectDate.Builder()).Build(), t => new LogicalTime(ParseDateDays(t) * 86_400_000L), new LogicalTime(0));
            case Time:
            {
                var precision = typmod < 0 ? 6 : typmod;
                if (!adaptive) return (B(ConnectTime.Builder()).Build(), t => new LogicalTime(ParseTimeMicros(t) / 1000), new LogicalTime(0));
                return precision <= 3
                    ? (B(SchemaBuilder.Int32().Name("io.debezium.time.Time").Version(1)).Build(), t => (int)(ParseTimeMicros(t) / 1000), 0)
                    : (B(SchemaBuilder.Int64().Name("io.debezium.time.MicroTime").Version(1)).Build(), t => ParseTimeMicros(t), 0L);
            }
            case TimestampOid:
            {
                var precision = typmod < 0 ? 6 : typmod;
                if (!adaptive) return (B(ConnectTimestamp.Builder()).Build(), t => new LogicalTime(FloorDiv(ParseTimestampMicros(t), 1000)), new LogicalTime(0));
                return precision <= 3
                    ? (B(SchemaBuilder.Int64().Name("io.debezium.time.Timestamp").Version(1)).Build(), t => FloorDiv(ParseTimestampMicros(t), 1000), 0L)
                    : (B(SchemaBuilder.Int64().Name("io.debezium.time.MicroTimestamp").Version(1)).Build(), t => ParseTimestampMicros(t), 0L);
            }
            case TimestampTz:
            {
                var precision = typmod < 0 ? 6 : typmod;
                return (B(SchemaBuilder.String().Name("io.debezium.time.ZonedTimestamp").Version(1)).Build(),
                    t => FormatZonedTimestamp(ParseTimestampTzMicros(t), precision), FormatZonedTimestamp(0, precision));
            }
        }
        if (type.Name == "citext")
            return (B(SchemaBuilder.String()).Build(), t => t, "");
        return null;
    }

    private static (Schema, Func<string, object?>, object) BinaryFor(string mode, bool optional)
    {
        var bytes = SchemaBuilder.Bytes();
        var str = SchemaBuilder.String();
        if (optional) { bytes.Optional(); str.Optional(); }
        return mode switch
        {
            "base64" => (str.Build(), t => Convert.ToBase64String(ParseBytea(t)), ""),
            "base64-url-safe" => (str.Build(), t => Convert.ToBase64String(ParseBytea(t)).Replace('+', '-').Replace('/', '_'), ""),
            "hex" => (str.Build(), t => Convert.ToHexString(ParseBytea(t)).ToLowerInvariant(), ""),
            _ => (bytes.Build(), t => ParseBytea(t), Array.Empty<byte>()),
        };
    }

    private static (Schema, Func<string, object?>, object) NumericFor(int typmod, bool optional, string mode)
    {
        SchemaBuilder B(SchemaBuilder b) => optional ? b.Optional() : b;
        switch (mode)
        {
            case "double": return (B(SchemaBuilder.Float64()).Build(), t => t == "NaN" ? double.NaN : double.Parse(t, NumberStyles.Float, CultureInfo.InvariantCulture), 0d);
            case "string": return (B(SchemaBuilder.String()).Build(), t => t, "");
        }
        if (typmod < 0)
        {
            // numeric without precision and scale: Debezium's VariableScaleDecimal {scale, value}.
            var schema = B(SchemaBuilder.Struct().Name("io.debezium.data.VariableScaleDecimal").Version(1).Doc("Variable scaled decimal")
                .Field("scale", Schema.Int32Schema).Field("value", Schema.BytesSchema)).Build();
            return (schema, t => VariableScale(schema, t), VariableScale(schema, "0"));
        }
        var precision = ((typmod - 4) >> 16) & 0xffff;
        var scale = (typmod - 4) & 0xffff;
        var decimalSchema = B(ConnectDecimal.Builder(scale).Parameter("connect.decimal.precision", precision.ToString(CultureInfo.InvariantCulture))).Build();
        return (decimalSchema, t => ParseScaled(t, scale), ParseScaled("0", scale));
    }

    private static Struct VariableScale(Schema schema, string text)
    {
        var (unscaled, scale) = ParseUnscaled(text);
        return new Struct(schema).Put("scale", scale).Put("value", unscaled.ToByteArray(isUnsigned: false, isBigEndian: true));
    }

    /// <summary>A numeric's text as a decimal with exactly <paramref name="scale"/> digits after the point.</summary>
    private static decimal ParseScaled(string text, int scale)
    {
        var (unscaled, textScale) = ParseUnscaled(text);
        // The server already rounds to the column's scale; pad (never round) to it.
        while (textScale < scale) { unscaled *= 10; textScale++; }
        return ConnectDecimal.FromUnscaled(unscaled, textScale);
    }

    private static (BigInteger Unscaled, int Scale) ParseUnscaled(string text)
    {
        if (text is "NaN" or "Infinity" or "-Infinity")
            throw new FormatException($"numeric {text} has no Decimal representation; use decimal.handling.mode=double or string");
        var dot = text.IndexOf('.');
        var digits = dot < 0 ? text : text[..dot] + text[(dot + 1)..];
        var scale = dot < 0 ? 0 : text.Length - dot - 1;
        return (BigInteger.Parse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture), scale);
    }

    public static byte[] ParseBytea(string text)
    {
        if (text.StartsWith("\\x", StringComparison.Ordinal)) return Convert.FromHexString(text.AsSpan(2));
        throw new FormatException("bytea values must arrive in hex (bytea_output=hex)");
    }

    private static long FloorDiv(long a, long b) => a >= 0 ? a / b : -((-a + b - 1) / b);

    /// <summary>Days since 1970-01-01 of an ISO date ("2024-01-02", "0044-03-15 BC").</summary>
    public static int ParseDateDays(string text) => ParseDateDays(text.AsSpan());

    // Spans rather than Split and substrings: these run for every date and timestamp value captured.
    private static int ParseDateDays(ReadOnlySpan<char> text)
    {
        var bc = text.EndsWith(" BC", StringComparison.Ordinal);
        var core = bc ? text[..^3] : text;
        var first = core.IndexOf('-');
        var rest = core[(first + 1)..];
        var second = rest.IndexOf('-');
        var third = rest[(second + 1)..].IndexOf('-');
        var year = int.Parse(core[..first], CultureInfo.InvariantCulture);
        if (bc) year = 1 - year; // astronomical year numbering
        var month = int.Parse(rest[..second], CultureInfo.InvariantCulture);
        var day = int.Parse(third < 0 ? rest[(second + 1)..] : rest.Slice(second + 1, third), CultureInfo.InvariantCulture);
        return (int)DaysFromCivil(year, month, day);
    }

    /// <summary>Days from 1970-01-01 of a proleptic Gregorian date (any year), as java.time counts them.</summary>
    private static long DaysFromCivil(long y, int m, int d)
    {
        y -= m <= 2 ? 1 : 0;
        var era = (y >= 0 ? y : y - 399) / 400;
        var yoe = y - era * 400;
        var doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        var doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
    }

    /// <summary>Microseconds since midnight of "HH:MM:SS[.ffffff]" (24:00:00 is a day).</summary>
    public static long ParseTimeMicros(string text) => ParseTimeMicros(text.AsSpan());

    private static long ParseTimeMicros(ReadOnlySpan<char> text)
    {
        var hour = int.Parse(text[..2], CultureInfo.InvariantCulture);
        var minute = int.Parse(text.Slice(3, 2), CultureInfo.InvariantCulture);
        var second = int.Parse(text.Slice(6, 2), CultureInfo.InvariantCulture);
        long micros = 0;
        if (text.Length > 8 && text[8] == '.')
        {
            // The first six digits of the fraction, padded with zeros on the right.
            var fraction = text[9..];
            if (fraction.Length > 6) fraction = fraction[..6];
            micros = long.Parse(fraction, CultureInfo.InvariantCulture);
            for (var i = fraction.Length; i < 6; i++) micros *= 10;
        }
        return ((hour * 60L + minute) * 60 + second) * 1_000_000 + micros;
    }

    /// <summary>Microseconds since the epoch of a timestamp without time zone, read as UTC.</summary>
    public static long ParseTimestampMicros(string text)
    {
        var bc = text.EndsWith(" BC", StringComparison.Ordinal);
        var core = bc ? text[..^3] : text;
        var space = core.IndexOf(' ');
        var days = ParseDateDays(core[..space] + (bc ? " BC" : ""));
        return days * 86_400_000_000L + ParseTimeMicros(core[(space + 1)..]);
    }

    /// <summary>Microseconds since the epoch of a timestamptz ("2024-01-02 03:04:05.123+05:30").</summary>
    public static long ParseTimestampTzMicros(string text)
    {
        var span = text.AsSpan();
        var bc = span.EndsWith(" BC", StringComparison.Ordinal);
        var core = bc ? span[..^3] : span;
        var space = core.IndexOf(' ');
        var time = core[(space + 1)..];
        var sign = time.LastIndexOfAny('+', '-');
        var offsetText = time[(sign + 1)..];
        var local = DateDays(core[..space], bc) * 86_400_000_000L + ParseTimeMicros(time[..sign]);
        var offsetSeconds = 0;
        var unit = 3600;
        foreach (var range in offsetText.Split(':'))
        {
            if (unit == 0) break;
            offsetSeconds += int.Parse(offsetText[range], CultureInfo.InvariantCulture) * unit;
            unit /= 60;
        }
        if (time[sign] == '-') offsetSeconds = -offsetSeconds;
        return local - offsetSeconds * 1_000_000L;

        static long DateDays(ReadOnlySpan<char> date, bool bc)
        {
            if (!bc) return ParseDateDays(date);
            Span<char> withEra = stackalloc char[date.Length + 3];
            date.CopyTo(withEra);
            " BC".CopyTo(withEra[date.Length..]);
            return ParseDateDays(withEra);
        }
    }

    /// <summary>Debezium's ZonedTimestamp: ISO-8601 in UTC ("Z"), the fraction at exactly the column's precision
    /// (none for precision 0).</summary>
    public static string FormatZonedTimestamp(long epochMicros, int precision)
    {
        var days = FloorDiv(epochMicros, 86_400_000_000L);
        var micros = epochMicros - days * 86_400_000_000L;
        var (y, m, d) = CivilFromDays(days);
        // Written into a stack buffer: one string per value instead of a StringBuilder and a string per part.
        Span<char> text = stackalloc char[48];
        var n = 0;
        int written;
        if (y > 9999)
        {
            text[n++] = '+';
            y.TryFormat(text[n..], out written, default, CultureInfo.InvariantCulture);
        }
        else if (y < 0)
        {
            text[n++] = '-';
            (-y).TryFormat(text[n..], out written, "0000", CultureInfo.InvariantCulture);
        }
        else
        {
            y.TryFormat(text[n..], out written, "0000", CultureInfo.InvariantCulture);
        }
        n += written;
        var seconds = micros / 1_000_000;
        var fraction = micros % 1_000_000;
        text[n++] = '-';
        n += TwoDigits(text[n..], m);
        text[n++] = '-';
        n += TwoDigits(text[n..], d);
        text[n++] = 'T';
        n += TwoDigits(text[n..], (int)(seconds / 3600));
        text[n++] = ':';
        n += TwoDigits(text[n..], (int)(seconds / 60 % 60));
        text[n++] = ':';
        n += TwoDigits(text[n..], (int)(seconds % 60));
        if (precision is > 0 and <= 9 || fraction != 0)
        {
            Span<char> nanos = stackalloc char[9];
            (fraction * 1000).TryFormat(nanos, out _, "000000000", CultureInfo.InvariantCulture);
            // Java's ISO_OFFSET_DATE_TIME without a precision: as many digits as the value needs.
            var digits = precision is > 0 and <= 9 ? nanos[..precision] : nanos.TrimEnd('0');
            text[n++] = '.';
            digits.CopyTo(text[n..]);
            n += digits.Length;
        }
        text[n++] = 'Z';
        return new string(text[..n]);

        static int TwoDigits(Span<char> into, int value)
        {
            into[0] = (char)('0' + value / 10);
            into[1] = (char)('0' + value % 10);
            return 2;
        }
    }

    private static (long Y, int M, int D) CivilFromDays(long z)
    {
        z += 719468;
        var era = (z >= 0 ? z : z - 146096) / 146097;
        var doe = z - era * 146097;
        var yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        var y = yoe + era * 400;
        var doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        var mp = (5 * doy + 2) / 153;
        var d = (int)(doy - (153 * mp + 2) / 5 + 1);
        var m = (int)(mp < 10 ? mp + 3 : mp - 9);
        return (m <= 2 ? y + 1 : y, m, d);
    }

    /// <summary>The elements of a one-dimensional array's text form ("{1,2,NULL}", "{\"a b\",c}"); null for NULL.</summary>
    public static List<string?> ParseArray(string text)
    {
        var result = new List<string?>();
        var start = text.IndexOf('{');
        if (start < 0 || text[^1] != '}') throw new FormatException($"Not an array value: {text}");
        var i = start + 1;
        if (i == text.Length - 1) return result;
        var sb = new StringBuilder();
        while (i < text.Length)
        {
            sb.Clear();
            bool quoted = false;
            if (text[i] == '"')
            {
                quoted = true;
                i++;
                while (text[i] != '"')
                {
                    if (text[i] == '\\') i++;
                    sb.Append(text[i++]);
                }
                i++;
            }
            else
            {
                while (text[i] != ',' && text[i] != '}')
                {
                    if (text[i] == '{') throw new FormatException("Multi-dimensional arrays are not supported");
                    sb.Append(text[i++]);
                }
            }
            var element = sb.ToString();
            result.Add(!quoted && element == "NULL" ? null : element);
            if (text[i] == '}') break;
            i++; // ','
        }
        return result;
    }
}
