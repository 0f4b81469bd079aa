using OrleansConnect.Connect.Errors;

namespace OrleansConnect.Connect.Data;

/// <summary>Epoch-millisecond arithmetic shared by the Date, Time and Timestamp logical types.</summary>
public static class LogicalTime
{
    public const long MillisPerDay = 24L * 60 * 60 * 1000;

    private static readonly long MinMillis = (DateTime.MinValue - DateTime.UnixEpoch).Ticks / TimeSpan.TicksPerMillisecond;
    private static readonly long MaxMillis = (DateTime.MaxValue - DateTime.UnixEpoch).Ticks / TimeSpan.TicksPerMillisecond;

    /// <summary>Milliseconds since the epoch, rounding sub-millisecond ticks down (unspecified kind is taken as UTC).</summary>
    public static long ToEpochMillis(DateTime value)
    {
        var ticks = (Values.ToUtc(value) - DateTime.UnixEpoch).Ticks;
        return FloorDiv(ticks, TimeSpan.TicksPerMillisecond);
    }

    public static DateTime FromEpochMillis(long millis)
    {
        if (millis < MinMillis || millis > MaxMillis)
            throw new DataException($"Epoch milliseconds {millis} are outside the range DateTime can represent");
        return DateTime.UnixEpoch.AddTicks(millis * TimeSpan.TicksPerMillisecond);
    }

    private static long FloorDiv(long a, long b)
    {
        var q = a / b;
        if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
        return q;
    }
}
