namespace OrleansConnect.Connect.Source;

/// <summary>Where a source record was written in Kafka.</summary>
public sealed record RecordMetadata(string Topic, int Partition, long Offset, long Timestamp);
