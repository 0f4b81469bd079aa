using System.Text;

namespace OrleansConnect.Connect.Connector;

using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Header;

/// <summary>
/// The common part of source and sink records: topic, partition, key and value with their schemas, timestamp and
/// headers. Records are immutable apart from their headers; transformations build new ones with NewRecord.
/// </summary>
public abstract class ConnectRecord : IEquatable<ConnectRecord>
{
    protected ConnectRecord(
        string? topic,
        int? kafkaPartition,
        Schema? keySchema,
        object? key,
        Schema? valueSchema,
        object? value,
        long? timestamp,
        ConnectHeaders? headers)
    {
        Topic = topic;
        KafkaPartition = kafkaPartition;
        KeySchema = keySchema;
        Key = key;
        ValueSchema = valueSchema;
        Value = value;
        Timestamp = timestamp;
        Headers = headers ?? new ConnectHeaders();
    }

    public string? Topic { get; }

    public int? KafkaPartition { get; }

    public Schema? KeySchema { get; }

    public object? Key { get; }

    public Schema? ValueSchema { get; }

    public object? Value { get; }

    public long? Timestamp { get; }

    public ConnectHeaders Headers { get; }

    /// <summary>
    /// A record of the same kind (source records keep partition/offset, sink records their Kafka offset and
    /// originals) with the given fields. Null <paramref name="headers"/> means a copy of this record's headers.
    /// </summary>
    public abstract ConnectRecord NewRecord(
        string? topic,
        int? kafkaPartition,
        Schema? keySchema,
        object? key,
        Schema? valueSchema,
        object? value,
        long? timestamp,
        ConnectHeaders? headers = null);

    public virtual bool Equals(ConnectRecord? other) =>
        other is not null && (ReferenceEquals(this, other) || (
            GetType() == other.GetType() &&
            Topic == other.Topic &&
            KafkaPartition == other.KafkaPartition &&
            Equals(KeySchema, other.KeySchema) &&
            Values.DeepEquals(Key, other.Key) &&
            Equals(ValueSchema, other.ValueSchema) &&
            Values.DeepEquals(Value, other.Value) &&
            Timestamp == other.Timestamp &&
            Headers.Equals(other.Headers)));

    public override bool Equals(object? obj) => Equals(obj as ConnectRecord);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Topic);
        hash.Add(KafkaPartition);
        hash.Add(KeySchema);
        hash.Add(Values.DeepHashCode(Key));
        hash.Add(ValueSchema);
        hash.Add(Values.DeepHashCode(Value));
        hash.Add(Timestamp);
        hash.Add(Headers);
        return hash.ToHashCode();
    }

    public override string ToString()
    {
        var sb = new StringBuilder("ConnectRecord{topic='").Append(Topic ?? "null")
            .Append("', kafkaPartition=").Append(KafkaPartition?.ToString() ?? "null")
            .Append(", key=");
        Values.AppendJavaString(sb, Key);
        sb.Append(", keySchema=").Append(KeySchema?.ToString() ?? "null").Append(", value=");
        Values.AppendJavaString(sb, Value);
        sb.Append(", valueSchema=").Append(ValueSchema?.ToString() ?? "null")
            .Append(", timestamp=").Append(Timestamp?.ToString() ?? "null")
            .Append(", headers=").Append(Headers).Append('}');
        return sb.ToString();
    }
}
