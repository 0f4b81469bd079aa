using System.Collections;
using System.Text;

namespace OrleansConnect.Connect.Data;

/// <summary>
/// Helpers over Connect values: deep equality (byte arrays, lists, maps by content), the schema type a
/// schemaless value maps to, and shortcuts to Java's toString forms (<see cref="JavaValueText"/>).
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

    /// <summary>Java's toString of the value; see <see cref="JavaValueText"/>, the one formatter behind it.</summary>
    public static string ToJavaString(object? value) => JavaValueText.Format(value);

    public static void AppendJavaString(StringBuilder sb, object? value) => JavaValueText.Append(sb, value);

    internal static DateTime ToUtc(DateTime value) => value.Kind switch
    {
        DateTimeKind.Local => value.ToUniversalTime(),
        DateTimeKind.Unspecified => DateTime.SpecifyKind(value, DateTimeKind.Utc),
        _ => value,
    };

    /// <summary>Java's Double.toString (see <see cref="JavaValueText.FormatDouble"/>).</summary>
    public static string FormatDouble(double value) => JavaValueText.FormatDouble(value);

    /// <summary>Java's Float.toString (see <see cref="JavaValueText.FormatFloat"/>).</summary>
    public static string FormatFloat(float value) => JavaValueText.FormatFloat(value);

    /// <summary>Java's BigDecimal.toString (see <see cref="JavaValueText.FormatDecimal"/>).</summary>
    public static string FormatDecimal(decimal value) => JavaValueText.FormatDecimal(value);
}
