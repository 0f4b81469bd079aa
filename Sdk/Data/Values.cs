using System.Collections;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;

namespace OrleansConnect.Connect.Data;

/// <summary>
/// Helpers over Connect values: deep equality (byte arrays, lists, maps by content), the schema type a
/// schemaless value maps to, and Java's toString forms that Kafka output (StringConverter, Struct.toString,
/// error messages, JSON numbers) depends on.
/// </summary>
public static class Values
{
    /// <summary>Value equality as Connect defines it: byte[] by content, lists in order, maps by entries, numbers by type and value.</summary>
    public static bool DeepEquals(object? a, object? b)
    {
        if (ReferenceEquals(a, b)) return true;
        if (a is null || b is null) return false;
        switch (a)
        {
            case byte[] ba:
                return b is byte[] bb && ba.AsSpan().SequenceEqual(bb);
            case string:
                return a.Equals(b);
            case IDictionary da:
                if (b is not IDictionary db || da.Count != db.Count) return false;
                foreach (DictionaryEntry entry in da)
                {
                    if (!db.Contains(entry.Key) || !DeepEquals(entry.Value, db[entry.Key])) return false;
                }
                return true;
            case IList la:
                if (b is not IList lb || la.Count != lb.Count) return false;
                for (var i = 0; i < la.Count; i++)
                {
                    if (!DeepEquals(la[i], lb[i])) return false;
                }
                return true;
            default:
                return a.Equals(b);
        }
    }

    /// <summary>A hash consistent with <see cref="DeepEquals"/>.</summary>
    public static int DeepHashCode(object? value)
    {
        switch (value)
        {
            case null:
                return 0;
            case byte[] bytes:
                var h = new HashCode();
                h.AddBytes(bytes);
                return h.ToHashCode();
            case string s:
                return s.GetHashCode();
            case IDictionary map:
                // Order-independent: maps compare by entries.
                var mh = map.Count;
                foreach (DictionaryEntry entry in map) mh ^= HashCode.Combine(DeepHashCode(entry.Key), DeepHashCode(entry.Value));
                return mh;
            case IList list:
                var lh = new HashCode();
                foreach (var item in list) lh.Add(DeepHashCode(item));
                return lh.ToHashCode();
            default:
                return value.GetHashCode();
        }
    }

    /// <summary>The schema type a schemaless value maps to (Kafka's ConnectSchema.schemaType), or null when none does.</summary>
    public static SchemaType? SchemaTypeFor(object? value) => value switch
    {
        sbyte => SchemaType.Int8,
        short => SchemaType.Int16,
        int => SchemaType.Int32,
        long => SchemaType.Int64,
        float => SchemaType.Float32,
        double => SchemaType.Float64,
        bool => SchemaType.Boolean,
        string => SchemaType.String,
        byte[] => SchemaType.Bytes,
        Struct => SchemaType.Struct,
        IDictionary => SchemaType.Map,
        IList => SchemaType.Array,
        _ => null,
    };

    /// <summary>The text Java's toString gives for the Connect value (what Kafka's StringConverter writes).</summary>
    public static string ToJavaString(object? value)
    {
        switch (value)
        {
            case null: return "null";
            case string s: return s;
            case bool b: return b ? "true" : "false";
            case int i: return i.ToString(CultureInfo.InvariantCulture);
            case long l: return l.ToString(CultureInfo.InvariantCulture);
        }
        var sb = new StringBuilder();
        AppendJavaString(sb, value);
        return sb.ToString();
    }

    public static void AppendJavaString(StringBuilder sb, object? value)
    {
        switch (value)
        {
            case null:
                sb.Append("null");
                break;
            case string s:
                sb.Append(s);
                break;
            case bool b:
                sb.Append(b ? "true" : "false");
                break;
            case float f:
                sb.Append(FormatFloat(f));
                break;
            case double d:
                sb.Append(FormatDouble(d));
                break;
            case decimal m:
                sb.Append(FormatDecimal(m));
                break;
            case LogicalTime t:
                // java.util.Date.toString in a UTC JVM where DateTime reaches; ISO 8601 beyond it.
                if (t.TryToDateTime(out var dt)) sb.Append(dt.ToString("ddd MMM dd HH:mm:ss 'UTC' yyyy", CultureInfo.InvariantCulture));
                else sb.Append(t.ToString());
                break;
            case byte[] bytes:
                // Java prints an identity string for arrays; keep that shape.
                sb.Append("[B@").Append(RuntimeHelpers.GetHashCode(bytes).ToString("x", CultureInfo.InvariantCulture));
                break;
            case IDictionary map:
                sb.Append('{');
                var firstEntry = true;
                foreach (DictionaryEntry entry in map)
                {
                    if (!firstEntry) sb.Append(", ");
                    AppendJavaString(sb, entry.Key);
                    sb.Append('=');
                    AppendJavaString(sb, entry.Value);
                    firstEntry = false;
                }
                sb.Append('}');
                break;
            case IList list:
                sb.Append('[');
                for (var i = 0; i < list.Count; i++)
                {
                    if (i > 0) sb.Append(", ");
                    AppendJavaString(sb, list[i]);
                }
                sb.Append(']');
                break;
            case IFormattable formattable:
                sb.Append(formattable.ToString(null, CultureInfo.InvariantCulture));
                break;
            default:
                sb.Append(value);
                break;
        }
    }

    internal static DateTime ToUtc(DateTime value) => value.Kind switch
    {
        DateTimeKind.Local => value.ToUniversalTime(),
        DateTimeKind.Unspecified => DateTime.SpecifyKind(value, DateTimeKind.Utc),
        _ => value,
    };

    /// <summary>Java's Double.toString: shortest round-trip digits, "1.0", "1.0E7", "1.0E-4".</summary>
    public static string FormatDouble(double value)
    {
        if (double.IsNaN(value)) return "NaN";
        if (double.IsPositiveInfinity(value)) return "Infinity";
        if (double.IsNegativeInfinity(value)) return "-Infinity";
        if (value == 0) return double.IsNegative(value) ? "-0.0" : "0.0";
        return FormatJava(value.ToString("R", CultureInfo.InvariantCulture));
    }

    /// <summary>Java's Float.toString (12.34f gives "12.34").</summary>
    public static string FormatFloat(float value)
    {
        if (float.IsNaN(value)) return "NaN";
        if (float.IsPositiveInfinity(value)) return "Infinity";
        if (float.IsNegativeInfinity(value)) return "-Infinity";
        if (value == 0) return float.IsNegative(value) ? "-0.0" : "0.0";
        return FormatJava(value.ToString("R", CultureInfo.InvariantCulture));
    }

    private static string FormatJava(string roundTrip)
    {
        // Split .NET's shortest round-trip text into digits and a power of ten, then lay it out as Java does:
        // plain notation for 1e-3 <= |x| < 1e7, computerized scientific notation otherwise.
        var negative = roundTrip[0] == '-';
        var s = negative ? roundTrip.AsSpan(1) : roundTrip.AsSpan();
        var exponent = 0;
        var e = s.IndexOfAny('E', 'e');
        if (e >= 0)
        {
            exponent = int.Parse(s[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            s = s[..e];
        }
        var dot = s.IndexOf('.');
        var digits = new StringBuilder(s.Length);
        if (dot >= 0)
        {
            digits.Append(s[..dot]).Append(s[(dot + 1)..]);
            exponent -= s.Length - dot - 1;
        }
        else
        {
            digits.Append(s);
        }
        var d = digits.ToString().TrimStart('0');
        var trimmed = d.TrimEnd('0');
        exponent += d.Length - trimmed.Length;
        d = trimmed;
        // value = d * 10^exponent; sci = exponent of the first digit.
        var sci = exponent + d.Length - 1;
        var sb = new StringBuilder(d.Length + 8);
        if (negative) sb.Append('-');
        if (sci >= -3 && sci < 7)
        {
            if (sci >= 0)
            {
                if (d.Length <= sci + 1)
                {
                    sb.Append(d).Append('0', sci + 1 - d.Length).Append(".0");
                }
                else
                {
                    sb.Append(d, 0, sci + 1).Append('.').Append(d, sci + 1, d.Length - sci - 1);
                }
            }
            else
            {
                sb.Append("0.").Append('0', -sci - 1).Append(d);
            }
        }
        else
        {
            sb.Append(d[0]).Append('.');
            if (d.Length > 1) sb.Append(d, 1, d.Length - 1); else sb.Append('0');
            sb.Append('E').Append(sci.ToString(CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    /// <summary>Java's BigDecimal.toString for the decimal's unscaled value and scale ("1.5600", "1E-8").</summary>
    public static string FormatDecimal(decimal value)
    {
        var scale = value.Scale;
        var unscaled = ConnectDecimal.Unscaled(value);
        var magnitude = BigInteger.Abs(unscaled).ToString(CultureInfo.InvariantCulture);
        var adjusted = -scale + (magnitude.Length - 1);
        if (adjusted >= -6) return value.ToString(CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        if (unscaled.Sign < 0) sb.Append('-');
        sb.Append(magnitude[0]);
        if (magnitude.Length > 1) sb.Append('.').Append(magnitude, 1, magnitude.Length - 1);
        sb.Append('E').Append(adjusted.ToString(CultureInfo.InvariantCulture));
        return sb.ToString();
    }
}
