using System.Text;

namespace OrleansConnect.Connect.Source;

using OrleansConnect.Connect.Connector;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Header;

/// <summary>A record read by a source task, with the source partition and offset it came from.</summary>
public class SourceRecord : ConnectRecord
{
    public SourceRecord(
        IReadOnlyDictionary<string, object?>? sourcePartition,
        IReadOnlyDictionary<string, object?>? sourceOffset,
        string? topic,
        int? partition,
        Schema? keySchema,
        object? key,
        Schema? valueSchema,
        object? value,
        long? timestamp = null,
        ConnectHeaders? headers = null)
        : base(topic, partition, keySchema, key, valueSchema, value, timestamp, headers)
    {
        SourcePartition = sourcePartition;
        SourceOffset = sourceOffset;
    }

    /// <summary>A record without key, partition or timestamp.</summary>
    public SourceRecord(
        IReadOnlyDictionary<string, object?>? sourcePartition,
        IReadOnlyDictionary<string, object?>? sourceOffset,
        string? topic,
        Schema? valueSchema,
        object? value)
        : this(sourcePartition, sourceOffset, topic, null, null, null, valueSchema, value)
    {
    }

    /// <summary>A record without key or timestamp, to an explicit partition.</summary>
    public SourceRecord(
        IReadOnlyDictionary<string, object?>? sourcePartition,
        IReadOnlyDictionary<string, object?>? sourceOffset,
        string? topic,
        int? partition,
        Schema? valueSchema,
        object? value)
        : this(sourcePartition, sourceOffset, topic, partition, null, null, valueSchema, value)
    {
    }

    /// <summary>A record with a key but no partition or timestamp.</summary>
    public SourceRecord(
        IReadOnlyDictionary<string, object?>? sourcePartition,
        IReadOnlyDictionary<string, object?>? sourceOffset,
        string? topic,
        Schema? keySchema,
        object? key,
        Schema? valueSchema,
        object? value)
        : this(sourcePartition, sourceOffset, topic, null, keySchema, key, valueSchema, value)
    {
    }

    public IReadOnlyDictionary<string, object?>? SourcePartition { get; }

    public IReadOnlyDictionary<string, object?>? SourceOffset { get; }

    public override SourceRecord NewRecord(
        string? topic,
        int? kafkaPartition,
        Schema? keySchema,
        object? key,
        Schema? valueSchema,
        object? value,
        long? timestamp,
        ConnectHeaders? headers = null) =>
        new(SourcePartition, SourceOffset, topic, kafkaPartition, keySchema, key, valueSchema, value, timestamp,
            headers ?? Headers.Duplicate());

    public override bool Equals(ConnectRecord? other) =>
        base.Equals(other) && other is SourceRecord s &&
        MapEquals(SourcePartition, s.SourcePartition) && MapEquals(SourceOffset, s.SourceOffset);

    private static bool MapEquals(IReadOnlyDictionary<string, object?>? a, IReadOnlyDictionary<string, object?>? b) =>
        a is null ? b is null : b is not null && SourcePartitionComparer.Instance.Equals(a, b);

    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(),
        SourcePartition is null ? 0 : SourcePartitionComparer.Instance.GetHashCode(SourcePartition),
        SourceOffset is null ? 0 : SourcePartitionComparer.Instance.GetHashCode(SourceOffset));

    public override string ToString()
    {
        var sb = new StringBuilder("SourceRecord{sourcePartition=");
        Values.AppendJavaString(sb, SourcePartition is null ? null : new Dictionary<string, object?>(SourcePartition));
        sb.Append(", sourceOffset=");
        Values.AppendJavaString(sb, SourceOffset is null ? null : new Dictionary<string, object?>(SourceOffset));
        return sb.Append("} ").Append(base.ToString()).ToString();
    }
}
