namespace OrleansConnect.Connect.Sink;

/// <summary>A Kafka topic partition; prints as "topic-0".</summary>
public readonly record struct TopicPartition(string Topic, int Partition)
{
    public override string ToString() => $"{Topic}-{Partition}";
}

/// <summary>An offset to commit for a partition (the offset of the next record to consume).</summary>
public sealed record OffsetAndMetadata(long Offset, string? Metadata = null);

/// <summary>What a Kafka record's timestamp means.</summary>
public enum TimestampType
{
    NoTimestampType,
    CreateTime,
    LogAppendTime,
}
