using System.Text;

namespace OrleansConnect.Connect.Sink;

using OrleansConnect.Connect.Connector;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Header;

/// <summary>
/// A record consumed from Kafka for a sink task. The original topic, partition and offset survive transformations
/// (NewRecord), so a task can report offsets for what it was actually given (as Kafka 3.6+).
/// </summary>
public class SinkRecord : ConnectRecord
{
    public SinkRecord(
        string? topic,
        int partition,
        Schema? keySchema,
        object? key,
        Schema? valueSchema,
        object? value,
        long kafkaOffset,
        long? timestamp = null,
        TimestampType timestampType = TimestampType.NoTimestampType,
        ConnectHeaders? headers = null)
        : this(topic, partition, keySchema, key, valueSchema, value, kafkaOffset, timestamp, timestampType, headers,
            topic, partition, kafkaOffset)
    {
    }

    /// <summary>A record whose original topic/partition/offset differ from its current ones (after a transformation).</summary>
    public SinkRecord(
        string? topic,
        int? partition,
        Schema? keySchema,
        object? key,
        Schema? valueSchema,
        object? value,
        long kafkaOffset,
        long? timestamp,
        TimestampType timestampType,
        ConnectHeaders? headers,
        string? originalTopic,
        int? originalKafkaPartition,
        long originalKafkaOffset)
        : base(topic, partition, keySchema, key, valueSchema, value, timestamp, headers)
    {
        KafkaOffset = kafkaOffset;
        TimestampType = timestampType;
        OriginalTopic = originalTopic;
        OriginalKafkaPartition = originalKafkaPartition;
        OriginalKafkaOffset = originalKafkaOffset;
    }

    public long KafkaOffset { get; }

    public TimestampType TimestampType { get; }

    public int Partition => KafkaPartition!.Value;

    public string? OriginalTopic { get; }

    public int? OriginalKafkaPartition { get; }

    public long OriginalKafkaOffset { get; }

    public override SinkRecord NewRecord(
        string? topic,
        int? kafkaPartition,
        Schema? keySchema,
        object? key,
        Schema? valueSchema,
        object? value,
        long? timestamp,
        ConnectHeaders? headers = null) =>
        new(topic, kafkaPartition, keySchema, key, valueSchema, value, KafkaOffset, timestamp, TimestampType,
            headers ?? Headers.Duplicate(), OriginalTopic, OriginalKafkaPartition, OriginalKafkaOffset);

    public override bool Equals(ConnectRecord? other) =>
        base.Equals(other) && other is SinkRecord s &&
        KafkaOffset == s.KafkaOffset && TimestampType == s.TimestampType &&
        OriginalTopic == s.OriginalTopic && OriginalKafkaPartition == s.OriginalKafkaPartition &&
        OriginalKafkaOffset == s.OriginalKafkaOffset;

    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), KafkaOffset, TimestampType);

    public override string ToString() =>
        new StringBuilder("SinkRecord{kafkaOffset=").Append(KafkaOffset)
            .Append(", timestampType=").Append(TimestampType switch
            {
                TimestampType.CreateTime => "CreateTime",
                TimestampType.LogAppendTime => "LogAppendTime",
                _ => "NoTimestampType",
            })
            .Append(", originalTopic=").Append(OriginalTopic ?? "null")
            .Append(", originalKafkaPartition=").Append(OriginalKafkaPartition?.ToString() ?? "null")
            .Append(", originalKafkaOffset=").Append(OriginalKafkaOffset)
            .Append("} ").Append(base.ToString()).ToString();
}
