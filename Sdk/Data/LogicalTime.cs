using System.Globalization;
using OrleansConnect.Connect.Errors;

namespace OrleansConnect.Connect.Data;

/// <summary>
/// The value of a Date, Time or Timestamp logical type: milliseconds since the Unix epoch (UTC), any 64-bit value.
/// Kafka represents these as java.util.Date, which holds a long; DateTime covers only years 1 to 9999, so the value
/// is kept as the long and converted to DateTime on request, where it fits.
/// </summary>
public readonly record struct LogicalTime(long EpochMillis) : IComparable<LogicalTime>
{
    public const long MillisPerDay = 24L * 60 * 60 * 1000;

    private static readonly long MinDateTimeMillis = (DateTime.MinValue - DateTime.UnixEpoch).Ticks / TimeSpan.TicksPerMillisecond;
    private static readonly long MaxDateTimeMillis = (DateTime.MaxValue - DateTime.UnixEpoch).Ticks / TimeSpan.TicksPerMillisecond;

    public static readonly LogicalTime Epoch = new(0);

    /// <summary>The instant of <paramref name="value"/>, sub-millisecond ticks rounded down (an unspecified kind is taken as UTC).</summary>
    public static LogicalTime FromDateTime(DateTime value) => new(ToEpochMillis(value));

    public static LogicalTime FromDateTimeOffset(DateTimeOffset value) => FromDateTime(value.UtcDateTime);

    /// <summary>Milliseconds since the epoch, sub-millisecond ticks rounded down (an unspecified kind is taken as UTC).</summary>
    public static long ToEpochMillis(DateTime value)
    {
        var ticks = (Values.ToUtc(value) - DateTime.UnixEpoch).Ticks;
        return FloorDiv(ticks, TimeSpan.TicksPerMillisecond);
    }

    /// <summary>Whether the instant falls in DateTime's range (years 1 to 9999).</summary>
    public bool FitsDateTime => EpochMillis >= MinDateTimeMillis && EpochMillis <= MaxDateTimeMillis;

    /// <summary>The instant as a UTC DateTime, or false when it is outside DateTime's range.</summary>
    public bool TryToDateTime(out DateTime value)
    {
        if (!FitsDateTime)
        {
            value = default;
            return false;
        }
        value = DateTime.UnixEpoch.AddTicks(EpochMillis * TimeSpan.TicksPerMillisecond);
        return true;
    }

    /// <summary>The instant as a UTC DateTime; DataException when it is outside DateTime's range.</summary>
    public DateTime ToDateTime() =>
        TryToDateTime(out var value)
            ? value
            : throw new DataException($"Epoch milliseconds {EpochMillis} are outside the range DateTime can represent");

    public DateTimeOffset ToDateTimeOffset() => new(ToDateTime());

    public int CompareTo(LogicalTime other) => EpochMillis.CompareTo(other.EpochMillis);

    /// <summary>ISO 8601 in UTC on the proleptic Gregorian calendar, with a signed extended year outside 0000-9999
    /// ("+292278994-08-17T07:12:55.807Z").</summary>
    public override string ToString()
    {
        var days = FloorDiv(EpochMillis, MillisPerDay);
        var millisOfDay = EpochMillis - days * MillisPerDay;
        var (year, month, day) = CivilFromDays(days);
        var yearText = year is >= 0 and <= 9999
            ? year.ToString("D4", CultureInfo.InvariantCulture)
            : (year < 0 ? "-" : "+") + Math.Abs(year).ToString("D4", CultureInfo.InvariantCulture);
        return string.Create(CultureInfo.InvariantCulture,
            $"{yearText}-{month:D2}-{day:D2}T{millisOfDay / 3_600_000:D2}:{millisOfDay / 60_000 % 60:D2}:{millisOfDay / 1000 % 60:D2}.{millisOfDay % 1000:D3}Z");
    }

    private static long FloorDiv(long a, long b)
    {
        var q = a / b;
        if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
        return q;
    }

    // Howard Hinnant's civil_from_days: the proleptic Gregorian date of a day count since 1970-01-01. Every day
    // count from a long of milliseconds (about +-1.07e14 days) stays far inside long arithmetic.
    private static (long Year, int Month, int Day) CivilFromDays(long days)
    {
        days += 719_468;
        var era = FloorDiv(days, 146_097);
        var dayOfEra = days - era * 146_097;
        var yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365;
        var dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
        var monthIndex = (5 * dayOfYear + 2) / 153;
        var day = (int)(dayOfYear - (153 * monthIndex + 2) / 5 + 1);
        var month = (int)(monthIndex < 10 ? monthIndex + 3 : monthIndex - 9);
        var year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
        return (year, month, day);
    }
}
