using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Source;

namespace OrleansConnect.Plugins.Postgres;

/// <summary>Debezium's heartbeat records: every heartbeat.interval.ms a record on &lt;topic.heartbeat.prefix&gt;.&lt;topic.prefix&gt;
/// (partition 0) whose key is io.debezium.connector.common.ServerNameKey {serverName} and value
/// io.debezium.connector.common.Heartbeat {ts_ms}, carrying the connector's current offset: once committed, the slot
/// advances even while the captured tables are idle.</summary>
public static class Heartbeats
{
    public static readonly Schema KeySchema = SchemaBuilder.Struct().Name("io.debezium.connector.common.ServerNameKey").Version(1)
        .Field("serverName", Schema.StringSchema)
        .Build();

    public static readonly Schema ValueSchema = SchemaBuilder.Struct().Name("io.debezium.connector.common.Heartbeat").Version(1)
        .Field("ts_ms", Schema.Int64Schema)
        .Build();

    /// <summary>The heartbeat topic: the prefix and topic.prefix joined by '.', as Debezium's topic naming strategy does.</summary>
    public static string Topic(string heartbeatPrefix, string topicPrefix) => heartbeatPrefix + "." + topicPrefix;

    public static SourceRecord Record(string topic, string serverName, IReadOnlyDictionary<string, object?> partition,
        IReadOnlyDictionary<string, object?> offset) =>
        new(partition, offset, topic, 0, KeySchema, new Struct(KeySchema).Put("serverName", serverName),
            ValueSchema, new Struct(ValueSchema).Put("ts_ms", ChangeEvents.NowMicros() / 1000));
}
