using OrleansConnect.Connect.Connector;
using OrleansConnect.Connect.Data;

namespace OrleansConnect.Plugins.Transforms.Util;

/// <summary>Reads and replaces the key or the value of a record, for the SMTs that come as X$Key and X$Value.</summary>
public static class RecordSide
{
    public static Schema? OperatingSchema(ConnectRecord record, bool isKey) => isKey ? record.KeySchema : record.ValueSchema;

    public static object? OperatingValue(ConnectRecord record, bool isKey) => isKey ? record.Key : record.Value;

    /// <summary>A copy of <paramref name="record"/> with the key or value (and its schema) replaced; everything else kept.</summary>
    public static R NewRecord<R>(R record, bool isKey, Schema? schema, object? value) where R : ConnectRecord =>
        isKey
            ? (R)record.NewRecord(record.Topic, record.KafkaPartition, schema, value, record.ValueSchema, record.Value, record.Timestamp)
            : (R)record.NewRecord(record.Topic, record.KafkaPartition, record.KeySchema, record.Key, schema, value, record.Timestamp);

    public static R NewRecord<R>(R record, bool isKey, Schema? schema, object? value, Connect.Header.ConnectHeaders headers)
        where R : ConnectRecord =>
        isKey
            ? (R)record.NewRecord(record.Topic, record.KafkaPartition, schema, value, record.ValueSchema, record.Value, record.Timestamp, headers)
            : (R)record.NewRecord(record.Topic, record.KafkaPartition, record.KeySchema, record.Key, schema, value, record.Timestamp, headers);
}
