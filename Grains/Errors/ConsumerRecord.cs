using Confluent.Kafka;
using SinkTimestampType = OrleansConnect.Connect.Sink.TimestampType;

namespace OrleansConnect.Grains.Errors;

/// <summary>A record as a sink task's consumer read it from Kafka: the raw bytes the dead letter queue receives.</summary>
public sealed record ConsumerRecord(
    string Topic,
    int Partition,
    long Offset,
    long? Timestamp,
    SinkTimestampType TimestampType,
    byte[]? Key,
    byte[]? Value,
    IReadOnlyList<KeyValuePair<string, byte[]?>> Headers)
{
    public static ConsumerRecord From(ConsumeResult<byte[]?, byte[]?> result)
    {
        var timestampType = result.Message.Timestamp.Type switch
        {
            Confluent.Kafka.TimestampType.CreateTime => SinkTimestampType.CreateTime,
            Confluent.Kafka.TimestampType.LogAppendTime => SinkTimestampType.LogAppendTime,
            _ => SinkTimestampType.NoTimestampType,
        };
        IReadOnlyList<KeyValuePair<string, byte[]?>> headers = result.Message.Headers is { Count: > 0 } kafkaHeaders
            ? kafkaHeaders.Select(h => new KeyValuePair<string, byte[]?>(h.Key, h.GetValueBytes())).ToList()
            : [];
        return new ConsumerRecord(result.Topic, result.Partition.Value, result.Offset.Value,
            timestampType == SinkTimestampType.NoTimestampType ? null : result.Message.Timestamp.UnixTimestampMs,
            timestampType, result.Message.Key, result.Message.Value, headers);
    }

    /// <summary>Connect's TimestampType names, as its logs print them.</summary>
    public static string TimestampTypeName(SinkTimestampType type) => type switch
    {
        SinkTimestampType.CreateTime => "CreateTime",
        SinkTimestampType.LogAppendTime => "LogAppendTime",
        _ => "NoTimestampType",
    };
}
