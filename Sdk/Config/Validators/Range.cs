using OrleansConnect.Connect.Data;

namespace OrleansConnect.Connect.Config;

/// <summary>
/// A numeric range check (Kafka's ConfigDef.Range). Note: System.Range has the same simple name; code importing both
/// namespaces can alias this one (using Range = OrleansConnect.Connect.Config.Range;).
/// </summary>
public sealed class Range : IValidator
{
    private readonly object? _min;
    private readonly object? _max;

    private Range(object? min, object? max)
    {
        _min = min;
        _max = max;
    }

    public static Range AtLeast(long min) => new(min, null);

    public static Range AtLeast(double min) => new(min, null);

    public static Range AtMost(long max) => new(null, max);

    public static Range AtMost(double max) => new(null, max);

    public static Range Between(long min, long max) => new(min, max);

    public static Range Between(double min, double max) => new(min, max);

    public void EnsureValid(string name, object? value)
    {
        if (value is null) throw new ConfigException(name, null, "Value must be non-null");
        if (_min is not null && Compare(value, _min, name) < 0)
            throw new ConfigException(name, value, "Value must be at least " + Values.ToJavaString(_min));
        if (_max is not null && Compare(value, _max, name) > 0)
            throw new ConfigException(name, value, "Value must be no more than " + Values.ToJavaString(_max));
    }

    private static int Compare(object value, object bound, string name)
    {
        // Integral values against integral bounds compare exactly; anything else as double (as Kafka does).
        if (bound is long lb && TryGetInt64(value, out var lv)) return lv.CompareTo(lb);
        var dv = value switch
        {
            double d => d,
            float f => f,
            decimal m => (double)m,
            _ when TryGetInt64(value, out var l) => l,
            _ => throw new ConfigException(name, value, "Value must be a number"),
        };
        var db = bound is long b ? b : (double)bound;
        return dv.CompareTo(db);
    }

    private static bool TryGetInt64(object value, out long result)
    {
        switch (value)
        {
            case int i: result = i; return true;
            case long l: result = l; return true;
            case short s: result = s; return true;
            case sbyte sb: result = sb; return true;
            case byte b: result = b; return true;
            case ushort us: result = us; return true;
            case uint ui: result = ui; return true;
            default: result = 0; return false;
        }
    }

    public override string ToString()
    {
        if (_min is null && _max is null) return "[...]";
        if (_min is null) return "[...," + Values.ToJavaString(_max) + "]";
        if (_max is null) return "[" + Values.ToJavaString(_min) + ",...]";
        return "[" + Values.ToJavaString(_min) + ",...," + Values.ToJavaString(_max) + "]";
    }
}
