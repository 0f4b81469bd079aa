using System.Globalization;
using System.Numerics;
using OrleansConnect.Connect.Errors;
using ConnectSchema = OrleansConnect.Connect.Data.Schema;

namespace OrleansConnect.Connect.Data;

/// <summary>
/// Kafka's Decimal logical type (renamed: System.Decimal): BYTES holding the big-endian two's complement unscaled
/// value, with the scale in the "scale" schema parameter. Values are <see cref="decimal"/> whose scale must match.
/// </summary>
public static class ConnectDecimal
{
    public const string LogicalName = "org.apache.kafka.connect.data.Decimal";
    public const string ScaleField = "scale";

    public static SchemaBuilder Builder(int scale) =>
        SchemaBuilder.Bytes().Name(LogicalName).Parameter(ScaleField, scale.ToString(CultureInfo.InvariantCulture)).Version(1);

    public static ConnectSchema Schema(int scale) => Builder(scale).Build();

    /// <summary>The scale from the schema's "scale" parameter.</summary>
    public static int Scale(ConnectSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        if (schema.Parameters is null || !schema.Parameters.TryGetValue(ScaleField, out var text))
            throw new DataException("Invalid Decimal schema: scale parameter not found.");
        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var scale))
            throw new DataException($"Invalid scale parameter found in Decimal schema: {text}");
        return scale;
    }

    /// <summary>The unscaled bytes of <paramref name="value"/>; its scale must equal the schema's.</summary>
    public static byte[] FromLogical(ConnectSchema schema, decimal value)
    {
        if (value.Scale != Scale(schema))
            throw new DataException("BigDecimal has mismatching scale value for given Decimal schema");
        return Unscaled(value).ToByteArray(isUnsigned: false, isBigEndian: true);
    }

    public static decimal ToLogical(ConnectSchema schema, byte[] value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return FromUnscaled(new BigInteger(value, isUnsigned: false, isBigEndian: true), Scale(schema));
    }

    /// <summary>The decimal's unscaled integer (value * 10^scale).</summary>
    public static BigInteger Unscaled(decimal value)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        var magnitude = ((BigInteger)(uint)bits[2] << 64) | ((BigInteger)(uint)bits[1] << 32) | (uint)bits[0];
        return bits[3] < 0 ? -magnitude : magnitude;
    }

    /// <summary>unscaled * 10^-scale as a decimal, exact, or DataException when System.Decimal cannot hold it.</summary>
    public static decimal FromUnscaled(BigInteger unscaled, int scale)
    {
        if (scale < 0)
        {
            unscaled *= BigInteger.Pow(10, -scale);
            scale = 0;
        }
        // System.Decimal holds at most scale 28 and 96 bits; drop trailing zeros only when that is exact.
        while (scale > 28 || BigInteger.Abs(unscaled).GetBitLength() > 96)
        {
            if (scale == 0) throw OutOfRange(unscaled, scale);
            var quotient = BigInteger.DivRem(unscaled, 10, out var remainder);
            if (!remainder.IsZero) throw OutOfRange(unscaled, scale);
            unscaled = quotient;
            scale--;
        }
        var negative = unscaled.Sign < 0;
        var magnitude = BigInteger.Abs(unscaled);
        var lo = (int)(uint)(magnitude & uint.MaxValue);
        var mid = (int)(uint)((magnitude >> 32) & uint.MaxValue);
        var hi = (int)(uint)((magnitude >> 64) & uint.MaxValue);
        return new decimal(lo, mid, hi, negative, (byte)scale);
    }

    private static DataException OutOfRange(BigInteger unscaled, int scale) =>
        new($"Decimal value with unscaled value {unscaled} and scale {scale} does not fit System.Decimal");
}
