using System.Collections;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace OrleansConnect.Connect.Data;

/// <summary>
/// Renders a Connect value as Java's <c>toString()</c> does in Kafka Connect: what FileStreamSinkTask prints
/// (<c>PrintStream.println(record.value())</c>), what StringConverter writes, and how values appear in error
/// messages and DLQ headers. The one place that turns a value into text for users, so every output agrees.
/// <list type="bullet">
/// <item>null → <c>null</c>; strings as they are; booleans <c>true</c>/<c>false</c>; integers in decimal;</item>
/// <item>float/double as Java's Float/Double.toString (<c>1.0</c>, <c>1.0E10</c>, <c>1.0E-4</c>, <c>NaN</c>, <c>Infinity</c>);</item>
/// <item>decimal (Connect's Decimal, Java's BigDecimal) as BigDecimal.toString (<c>1.5600</c>, <c>1E-8</c>);</item>
/// <item>LogicalTime and DateTime (Date, Time, Timestamp: java.util.Date) as Date.toString in a UTC JVM (<c>Thu Jan 01 00:00:00 UTC 1970</c>);</item>
/// <item>maps as AbstractMap.toString (<c>{i=1, tag=good}</c>), lists as AbstractCollection.toString (<c>[p, q]</c>),
/// Struct as Struct.toString (<c>Struct{a=1,b=x}</c>), nested values the same way;</item>
/// <item>byte[] as Java prints an array (<c>[B@</c> and an identity hash); a byte buffer (ArraySegment, Memory,
/// ReadOnlyMemory of bytes, Java's ByteBuffer) as HeapByteBuffer.toString (<c>java.nio.HeapByteBuffer[pos=0 lim=3 cap=3]</c>).</item>
/// </list>
/// Maps keep their own iteration order (Java's HashMap orders by hash; insertion order is what a .NET map gives).
/// </summary>
public static class JavaValueText
{
    /// <summary>The text Java's toString gives for the Connect value.</summary>
    public static string Format(object? value)
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
        Append(sb, value);
        return sb.ToString();
    }

    /// <summary>Appends the text Java's toString gives for the Connect value.</summary>
    public static void Append(StringBuilder sb, object? value)
    {
        ArgumentNullException.ThrowIfNull(sb);
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
            case char c:
                sb.Append(c);
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
                // Date, Time and Timestamp values: java.util.Date.toString where DateTime reaches, ISO 8601 beyond it
                // (any long of epoch milliseconds is a valid value).
                if (t.TryToDateTime(out var inRange)) AppendDate(sb, inRange);
                else sb.Append(t.ToString());
                break;
            case DateTime dt:
                AppendDate(sb, dt);
                break;
            case DateTimeOffset dto:
                AppendDate(sb, dto.UtcDateTime);
                break;
            case byte[] bytes:
                // Java prints an identity string for arrays ("[B@1b6d3586"); the hash differs per object, as there.
                sb.Append("[B@").Append(RuntimeHelpers.GetHashCode(bytes).ToString("x", CultureInfo.InvariantCulture));
                break;
            case ArraySegment<byte> segment:
                AppendByteBuffer(sb, segment);
                break;
            case ReadOnlyMemory<byte> rom:
                AppendByteBuffer(sb, rom);
                break;
            case Memory<byte> mem:
                AppendByteBuffer(sb, mem);
                break;
            case Struct st:
                sb.Append(st.ToString());
                break;
            case IDictionary map:
                AppendMap(sb, map);
                break;
            case IList list:
                sb.Append('[');
                for (var i = 0; i < list.Count; i++)
                {
                    if (i > 0) sb.Append(", ");
                    AppendElement(sb, list[i], list);
                }
                sb.Append(']');
                break;
            case IFormattable formattable:
                // sbyte, short, BigInteger and the like print as Java's integers do.
                sb.Append(formattable.ToString(null, CultureInfo.InvariantCulture));
                break;
            default:
                sb.Append(value);
                break;
        }
    }

    private static void AppendMap(StringBuilder sb, IDictionary map)
    {
        sb.Append('{');
        var first = true;
        foreach (DictionaryEntry entry in map)
        {
            if (!first) sb.Append(", ");
            AppendElement(sb, entry.Key, map);
            sb.Append('=');
            AppendElement(sb, entry.Value, map);
            first = false;
        }
        sb.Append('}');
    }

    // A collection that holds itself prints "(this Map)" / "(this Collection)" in Java instead of recursing forever.
    private static void AppendElement(StringBuilder sb, object? element, object container)
    {
        if (ReferenceEquals(element, container))
            sb.Append(container is IDictionary ? "(this Map)" : "(this Collection)");
        else
            Append(sb, element);
    }

    // java.util.Date.toString(): "EEE MMM dd HH:mm:ss zzz yyyy", the zone being the JVM's (UTC in Connect's images);
    // milliseconds are not printed and the year is not padded.
    private static void AppendDate(StringBuilder sb, DateTime value)
    {
        var utc = Values.ToUtc(value);
        sb.Append(utc.ToString("ddd MMM dd HH:mm:ss 'UTC' ", CultureInfo.InvariantCulture))
            .Append(utc.Year.ToString(CultureInfo.InvariantCulture));
    }

    // HeapByteBuffer.toString(): the class name, then position, limit and capacity. A segment of an array is what
    // ByteBuffer.wrap(array, offset, length) gives: position at the offset, limit at its end, capacity the array.
    private static void AppendByteBuffer(StringBuilder sb, ReadOnlyMemory<byte> memory)
    {
        int position = 0, limit = memory.Length, capacity = memory.Length;
        if (MemoryMarshal.TryGetArray(memory, out var segment) && segment.Array is { } array)
        {
            position = segment.Offset;
            limit = segment.Offset + segment.Count;
            capacity = array.Length;
        }
        sb.Append("java.nio.HeapByteBuffer[pos=").Append(position.ToString(CultureInfo.InvariantCulture))
            .Append(" lim=").Append(limit.ToString(CultureInfo.InvariantCulture))
            .Append(" cap=").Append(capacity.ToString(CultureInfo.InvariantCulture)).Append(']');
    }

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
