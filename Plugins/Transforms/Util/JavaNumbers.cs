using System.Globalization;
using System.Numerics;

namespace OrleansConnect.Plugins.Transforms.Util;

/// <summary>Java's numeric and string primitives that Kafka's behaviour depends on.</summary>
public static class JavaNumbers
{
    /// <summary>Java's String.trim: strips every char up to U+0020 from both ends.</summary>
    public static string Trim(string s)
    {
        int start = 0, end = s.Length;
        while (start < end && s[start] <= ' ') start++;
        while (end > start && s[end - 1] <= ' ') end--;
        return start == 0 && end == s.Length ? s : s[start..end];
    }

    /// <summary>Java's (long) cast of a double: truncates, saturates, NaN gives 0.</summary>
    public static long DoubleToLong(double d)
    {
        if (double.IsNaN(d)) return 0;
        if (d >= 9.2233720368547758E18) return long.MaxValue;
        if (d <= -9.2233720368547758E18) return long.MinValue;
        return (long)d;
    }

    /// <summary>Java's (int) cast of a double: truncates, saturates, NaN gives 0.</summary>
    public static int DoubleToInt(double d)
    {
        if (double.IsNaN(d)) return 0;
        if (d >= int.MaxValue) return int.MaxValue;
        if (d <= int.MinValue) return int.MinValue;
        return (int)d;
    }

    /// <summary>The low 64 bits of a big integer, two's complement (Java's BigInteger.longValue).</summary>
    public static long LowBits(BigInteger value) =>
        unchecked((long)(ulong)(value & ulong.MaxValue));

    /// <summary>Java's Integer/Long.parseLong-style strict parse: optional sign, ASCII digits only, no spaces.</summary>
    public static bool TryParseStrictInteger(string s, long min, long max, out long value)
    {
        value = 0;
        if (s.Length == 0) return false;
        var i = 0;
        if (s[0] is '+' or '-') i = 1;
        if (i == s.Length) return false;
        for (var j = i; j < s.Length; j++)
        {
            if (!char.IsAsciiDigit(s[j])) return false;
        }
        if (!long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value)) return false;
        return value >= min && value <= max;
    }

    /// <summary>
    /// Java's Double.parseDouble / Float.parseFloat grammar (surrounding whitespace allowed, "NaN", "Infinity",
    /// optional f/F/d/D suffix, hex floats not supported).
    /// </summary>
    public static bool TryParseJavaDouble(string s, out double value)
    {
        value = 0;
        var t = Trim(s);
        if (t.Length == 0) return false;
        var sign = 1.0;
        var body = t;
        if (body[0] is '+' or '-')
        {
            if (body[0] == '-') sign = -1.0;
            body = body[1..];
        }
        if (body == "NaN")
        {
            value = double.NaN;
            return true;
        }
        if (body == "Infinity")
        {
            value = sign * double.PositiveInfinity;
            return true;
        }
        if (body.Length > 0 && body[^1] is 'f' or 'F' or 'd' or 'D') body = body[..^1];
        if (!JavaBigDecimal.TryParse(body, out _) ) return false;
        value = sign * double.Parse(body, NumberStyles.Float, CultureInfo.InvariantCulture);
        return true;
    }

    public static bool TryParseJavaFloat(string s, out float value)
    {
        value = 0;
        var t = Trim(s);
        if (t.Length == 0) return false;
        var body = t;
        var negative = false;
        if (body[0] is '+' or '-')
        {
            negative = body[0] == '-';
            body = body[1..];
        }
        if (body == "NaN")
        {
            value = float.NaN;
            return true;
        }
        if (body == "Infinity")
        {
            value = negative ? float.NegativeInfinity : float.PositiveInfinity;
            return true;
        }
        if (body.Length > 0 && body[^1] is 'f' or 'F' or 'd' or 'D') body = body[..^1];
        if (!JavaBigDecimal.TryParse(body, out _)) return false;
        value = float.Parse(body, NumberStyles.Float, CultureInfo.InvariantCulture);
        if (negative) value = -value;
        return true;
    }
}

/// <summary>An arbitrary-precision decimal as Java's BigDecimal parses it: unscaled value and scale (value = unscaled × 10^-scale).</summary>
public readonly record struct JavaBigDecimal(BigInteger Unscaled, int Scale)
{
    /// <summary>Java's new BigDecimal(String) grammar: [sign] digits [. digits] [e|E [sign] digits], or [sign] . digits [...].</summary>
    public static bool TryParse(string text, out JavaBigDecimal value)
    {
        value = default;
        var i = 0;
        var n = text.Length;
        var negative = false;
        if (i < n && text[i] is '+' or '-')
        {
            negative = text[i] == '-';
            i++;
        }
        var digits = new System.Text.StringBuilder();
        var fractionDigits = 0;
        var sawDot = false;
        while (i < n)
        {
            var c = text[i];
            if (char.IsAsciiDigit(c))
            {
                digits.Append(c);
                if (sawDot) fractionDigits++;
            }
            else if (c == '.' && !sawDot)
            {
                sawDot = true;
            }
            else
            {
                break;
            }
            i++;
        }
        if (digits.Length == 0) return false;
        long exponent = 0;
        if (i < n && text[i] is 'e' or 'E')
        {
            i++;
            var expNegative = false;
            if (i < n && text[i] is '+' or '-')
            {
                expNegative = text[i] == '-';
                i++;
            }
            var expStart = i;
            while (i < n && char.IsAsciiDigit(text[i]))
            {
                exponent = exponent * 10 + (text[i] - '0');
                if (exponent > int.MaxValue) return false;
                i++;
            }
            if (i == expStart) return false;
            if (expNegative) exponent = -exponent;
        }
        if (i != n) return false;
        var scale = fractionDigits - exponent;
        if (scale is > int.MaxValue or < int.MinValue) return false;
        var unscaled = BigInteger.Parse(digits.ToString(), NumberStyles.None, CultureInfo.InvariantCulture);
        value = new JavaBigDecimal(negative ? -unscaled : unscaled, (int)scale);
        return true;
    }

    /// <summary>The exact integer value when it has no fractional part and fits a long (Java's longValueExact).</summary>
    public bool TryToInt64Exact(out long result)
    {
        result = 0;
        if (Unscaled.IsZero) return true;
        BigInteger integer;
        if (Scale <= 0)
        {
            if (-(long)Scale > 19) return false;
            integer = Unscaled * BigInteger.Pow(10, -Scale);
        }
        else
        {
            if (Scale > 400) return false; // more fractional digits than any exact long can have
            integer = BigInteger.DivRem(Unscaled, BigInteger.Pow(10, Scale), out var remainder);
            if (!remainder.IsZero) return false;
        }
        if (integer < long.MinValue || integer > long.MaxValue) return false;
        result = (long)integer;
        return true;
    }

    /// <summary>The integer part (truncated toward zero), as Java's BigDecimal.toBigInteger.</summary>
    public BigInteger TruncateToInteger()
    {
        // Beyond 10^10000 only the low 64 bits (all zero, 10^k holding 2^k) are ever used.
        if (Scale <= 0) return Scale < -10_000 ? BigInteger.Zero : Unscaled * BigInteger.Pow(10, -Scale);
        if (Scale > 10_000) return BigInteger.Zero;
        return BigInteger.Divide(Unscaled, BigInteger.Pow(10, Scale));
    }

    public double ToDouble() => double.Parse(ToScientific(), NumberStyles.Float, CultureInfo.InvariantCulture);

    public float ToSingle() => float.Parse(ToScientific(), NumberStyles.Float, CultureInfo.InvariantCulture);

    private string ToScientific() =>
        Unscaled.ToString(CultureInfo.InvariantCulture) + "E" + (-(long)Scale).ToString(CultureInfo.InvariantCulture);
}
