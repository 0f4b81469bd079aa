using OrleansConnect.Connect.Errors;
using ConnectSchema = OrleansConnect.Connect.Data.Schema;

namespace OrleansConnect.Connect.Data;

/// <summary>Kafka's Date logical type: INT32 days since the Unix epoch; values are <see cref="LogicalTime"/> at UTC midnight.</summary>
public static class Date
{
    public const string LogicalName = "org.apache.kafka.connect.data.Date";

    private static readonly ConnectSchema Instance = Builder().Build();

    public static SchemaBuilder Builder() => SchemaBuilder.Int32().Name(LogicalName).Version(1);

    public static ConnectSchema Schema() => Instance;

    public static int FromLogical(ConnectSchema schema, LogicalTime value)
    {
        if (schema?.Name != LogicalName) throw new DataException("Requested conversion of Date object but the schema does not match.");
        var millis = value.EpochMillis;
        // Kafka checks the UTC time-of-day fields are zero, then narrows the day count to an int as Java's cast does.
        if (millis % LogicalTime.MillisPerDay != 0)
            throw new DataException("Kafka Connect Date type should not have any time fields set to non-zero values.");
        return unchecked((int)(millis / LogicalTime.MillisPerDay));
    }

    public static LogicalTime ToLogical(ConnectSchema schema, int value)
    {
        if (schema?.Name != LogicalName) throw new DataException("Requested conversion of Date object but the schema does not match.");
        return new LogicalTime(value * LogicalTime.MillisPerDay);
    }
}
