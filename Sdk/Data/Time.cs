using OrleansConnect.Connect.Errors;
using ConnectSchema = OrleansConnect.Connect.Data.Schema;

namespace OrleansConnect.Connect.Data;

/// <summary>Kafka's Time logical type: INT32 milliseconds since midnight; values are <see cref="LogicalTime"/> on 1970-01-01 UTC.</summary>
public static class Time
{
    public const string LogicalName = "org.apache.kafka.connect.data.Time";

    private static readonly ConnectSchema Instance = Builder().Build();

    public static SchemaBuilder Builder() => SchemaBuilder.Int32().Name(LogicalName).Version(1);

    public static ConnectSchema Schema() => Instance;

    public static int FromLogical(ConnectSchema schema, LogicalTime value)
    {
        if (schema?.Name != LogicalName) throw new DataException("Requested conversion of Time object but the schema does not match.");
        var millis = value.EpochMillis;
        if (millis < 0 || millis > LogicalTime.MillisPerDay)
            throw new DataException("Kafka Connect Time type should not have any date fields set to non-zero values.");
        return (int)millis;
    }

    public static LogicalTime ToLogical(ConnectSchema schema, int value)
    {
        if (schema?.Name != LogicalName) throw new DataException("Requested conversion of Time object but the schema does not match.");
        if (value < 0 || value > LogicalTime.MillisPerDay)
            throw new DataException("Time values must use number of milliseconds greater than 0 and less than 86400000");
        return new LogicalTime(value);
    }
}
