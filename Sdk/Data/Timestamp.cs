using OrleansConnect.Connect.Errors;
using ConnectSchema = OrleansConnect.Connect.Data.Schema;

namespace OrleansConnect.Connect.Data;

/// <summary>Kafka's Timestamp logical type: INT64 milliseconds since the Unix epoch; values are <see cref="LogicalTime"/>,
/// exact for every long.</summary>
public static class Timestamp
{
    public const string LogicalName = "org.apache.kafka.connect.data.Timestamp";

    private static readonly ConnectSchema Instance = Builder().Build();

    public static SchemaBuilder Builder() => SchemaBuilder.Int64().Name(LogicalName).Version(1);

    public static ConnectSchema Schema() => Instance;

    public static long FromLogical(ConnectSchema schema, LogicalTime value)
    {
        if (schema?.Name != LogicalName) throw new DataException("Requested conversion of Timestamp object but the schema does not match.");
        return value.EpochMillis;
    }

    public static LogicalTime ToLogical(ConnectSchema schema, long value)
    {
        if (schema?.Name != LogicalName) throw new DataException("Requested conversion of Timestamp object but the schema does not match.");
        return new LogicalTime(value);
    }
}
