using OrleansConnect.Connect.Errors;
using ConnectSchema = OrleansConnect.Connect.Data.Schema;

namespace OrleansConnect.Connect.Data;

/// <summary>Kafka's Date logical type: INT32 days since the Unix epoch; values are UTC <see cref="DateTime"/> at midnight.</summary>
public static class Date
{
    public const string LogicalName = "org.apache.kafka.connect.data.Date";

    private static readonly ConnectSchema Instance = Builder().Build();

    public static SchemaBuilder Builder() => SchemaBuilder.Int32().Name(LogicalName).Version(1);

    public static ConnectSchema Schema() => Instance;

    public static int FromLogical(ConnectSchema schema, DateTime value)
    {
        if (schema?.Name != LogicalName) throw new DataException("Requested conversion of Date object but the schema does not match.");
        var utc = Values.ToUtc(value);
        if (utc.TimeOfDay != TimeSpan.Zero)
            throw new DataException("Kafka Connect Date type should not have any time fields set to non-zero values.");
        return (int)((utc - DateTime.UnixEpoch).Ticks / TimeSpan.TicksPerDay);
    }

    public static DateTime ToLogical(ConnectSchema schema, int value)
    {
        if (schema?.Name != LogicalName) throw new DataException("Requested conversion of Date object but the schema does not match.");
        return LogicalTime.FromEpochMillis(value * LogicalTime.MillisPerDay);
    }
}
