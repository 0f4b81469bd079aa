using System.Collections;

namespace OrleansConnect.Connect.Source;

/// <summary>
/// Value equality of source partition (and offset) maps, so they can key dictionaries: same keys, and values equal
/// deeply; integral numbers compare as long and other numbers as double, so a partition read back from JSON
/// (where every integer is a long) still matches the one a task built with an int.
/// </summary>
public sealed class SourcePartitionComparer : IEqualityComparer<IReadOnlyDictionary<string, object?>>
{
    public static readonly SourcePartitionComparer Instance = new();

    public bool Equals(IReadOnlyDictionary<string, object?>? x, IReadOnlyDictionary<string, object?>? y)
    {
        if (ReferenceEquals(x, y)) return true;
        if (x is null || y is null || x.Count != y.Count) return false;
        foreach (var (key, value) in x)
        {
            if (!y.TryGetValue(key, out var other) || !ValueEquals(value, other)) return false;
        }
        return true;
    }

    public int GetHashCode(IReadOnlyDictionary<string, object?> obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var hash = obj.Count;
        foreach (var (key, value) in obj) hash ^= HashCode.Combine(key, ValueHash(value));
        return hash;
    }

    /// <summary>Deep equality of two map values under the comparer's number rules.</summary>
    public static bool ValueEquals(object? a, object? b)
    {
        if (ReferenceEquals(a, b)) return true;
        if (a is null || b is null) return false;
        if (a is string sa) return b is string sb && sa == sb;
        if (IsNumber(a) && IsNumber(b))
        {
            if (TryLong(a, out var la))
            {
                if (TryLong(b, out var lb)) return la == lb;
                return (double)la == ToDouble(b);
            }
            return TryLong(b, out var lb2) ? ToDouble(a) == lb2 : ToDouble(a).Equals(ToDouble(b));
        }
        if (a is byte[] ba) return b is byte[] bb && ba.AsSpan().SequenceEqual(bb);
        var ma = AsMap(a);
        var mb = AsMap(b);
        if (ma is not null || mb is not null)
        {
            if (ma is null || mb is null || ma.Count != mb.Count) return false;
            foreach (var (key, value) in ma)
            {
                if (!mb.TryGetValue(key, out var other) || !ValueEquals(value, other)) return false;
            }
            return true;
        }
        if (a is IEnumerable ea && b is IEnumerable eb)
        {
            var ia = ea.GetEnumerator();
            var ib = eb.GetEnumerator();
            while (true)
            {
                var hasA = ia.MoveNext();
                var hasB = ib.MoveNext();
                if (hasA != hasB) return false;
                if (!hasA) return true;
                if (!ValueEquals(ia.Current, ib.Current)) return false;
            }
        }
        return a.Equals(b);
    }

    public static int ValueHash(object? value)
    {
        switch (value)
        {
            case null:
                return 0;
            case string s:
                return s.GetHashCode();
            case byte[] bytes:
                var h = new HashCode();
                h.AddBytes(bytes);
                return h.ToHashCode();
        }
        if (IsNumber(value))
        {
            if (TryLong(value, out var l)) return l.GetHashCode();
            var d = ToDouble(value);
            // An integral double must hash like the long it equals.
            return d == Math.Floor(d) && d >= long.MinValue && d < 9.2233720368547758E18 ? ((long)d).GetHashCode() : d.GetHashCode();
        }
        var map = AsMap(value);
        if (map is not null)
        {
            var mh = map.Count;
            foreach (var (key, v) in map) mh ^= HashCode.Combine(key, ValueHash(v));
            return mh;
        }
        if (value is IEnumerable items)
        {
            var lh = new HashCode();
            foreach (var item in items) lh.Add(ValueHash(item));
            return lh.ToHashCode();
        }
        return value.GetHashCode();
    }

    private static Dictionary<object, object?>? AsMap(object value)
    {
        switch (value)
        {
            case IDictionary dictionary:
                var result = new Dictionary<object, object?>(dictionary.Count);
                foreach (DictionaryEntry entry in dictionary) result[entry.Key] = entry.Value;
                return result;
            case IReadOnlyDictionary<string, object?> readOnly:
                var copy = new Dictionary<object, object?>(readOnly.Count);
                foreach (var (key, v) in readOnly) copy[key] = v;
                return copy;
            default:
                return null;
        }
    }

    private static bool IsNumber(object value) =>
        value is sbyte or byte or short or ushort or int or uint or long or ulong or float or double or decimal;

    private static bool TryLong(object value, out long result)
    {
        switch (value)
        {
            case sbyte v: result = v; return true;
            case byte v: result = v; return true;
            case short v: result = v; return true;
            case ushort v: result = v; return true;
            case int v: result = v; return true;
            case uint v: result = v; return true;
            case long v: result = v; return true;
            case ulong v when v <= long.MaxValue: result = (long)v; return true;
            default: result = 0; return false;
        }
    }

    private static double ToDouble(object value) => value switch
    {
        float f => f,
        double d => d,
        decimal m => (double)m,
        ulong u => u,
        _ => Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture),
    };
}
