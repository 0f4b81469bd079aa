using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Header;
using OrleansConnect.Connect.Sink;
using OrleansConnect.Connect.Source;
using Xunit;

namespace OrleansConnect.Tests.Connector;

public class RecordTests
{
    private static readonly Dictionary<string, object?> Partition = new() { ["file"] = "a.txt" };
    private static readonly Dictionary<string, object?> Offset = new() { ["position"] = 10L };

    [Fact]
    public void Source_record_new_record_keeps_partition_offset_and_copies_headers()
    {
        var record = new SourceRecord(Partition, Offset, "t", 0, Schema.StringSchema, "k", Schema.Int32Schema, 1, 5L,
            new ConnectHeaders().AddString("h", "v"));

        SourceRecord copy = record.NewRecord("t2", null, null, "k2", Schema.StringSchema, "v2", 6L);

        Assert.Equal("t2", copy.Topic);
        Assert.Same(Partition, copy.SourcePartition);
        Assert.Same(Offset, copy.SourceOffset);
        Assert.Equal("v", copy.Headers.LastWithName("h")!.Value);
        Assert.NotSame(record.Headers, copy.Headers);
        copy.Headers.Clear();
        Assert.Equal(1, record.Headers.Count);
    }

    [Fact]
    public void Source_records_compare_by_value()
    {
        SourceRecord Make(long pos) => new(Partition, new Dictionary<string, object?> { ["position"] = pos }, "t", Schema.BytesSchema, new byte[] { 1 });

        Assert.Equal(Make(1), Make(1));
        Assert.Equal(Make(1).GetHashCode(), Make(1).GetHashCode());
        Assert.NotEqual(Make(1), Make(2));
    }

    [Fact]
    public void Sink_record_keeps_its_originals_through_new_record()
    {
        var record = new SinkRecord("orig", 3, null, "k", null, "v", 42, 100L, TimestampType.CreateTime);

        SinkRecord routed = record.NewRecord("routed", 7, null, "k", null, "v2", 100L);

        Assert.Equal("routed", routed.Topic);
        Assert.Equal(7, routed.Partition);
        Assert.Equal(42, routed.KafkaOffset);
        Assert.Equal(TimestampType.CreateTime, routed.TimestampType);
        Assert.Equal("orig", routed.OriginalTopic);
        Assert.Equal(3, routed.OriginalKafkaPartition);
        Assert.Equal(42, routed.OriginalKafkaOffset);
    }

    // ConnectRecord.java checks none of topic, partition and timestamp; its toString concatenates them, so a null
    // topic prints topic='null'.
    [Fact]
    public void A_record_may_have_a_null_or_empty_topic_ConnectRecord_java()
    {
        var source = new SourceRecord(null, null, null, null, null, null, null, null, null);
        Assert.Null(source.Topic);
        Assert.Null(source.KafkaPartition);
        Assert.Null(source.Timestamp);
        Assert.Equal("ConnectRecord{topic='null', kafkaPartition=null, key=null, keySchema=null, value=null, valueSchema=null, timestamp=null, headers=ConnectHeaders(headers=)}",
            source.ToString()[(source.ToString().IndexOf("ConnectRecord", StringComparison.Ordinal))..]);
        Assert.Equal(new SourceRecord(null, null, null, null, null), source.NewRecord(null, null, null, null, null, null, null));
        var sink = new SinkRecord("", 0, null, null, null, null, 0);
        Assert.Equal("", sink.NewRecord(null, 0, null, null, null, null, null).OriginalTopic);
        Assert.Null(sink.NewRecord(null, 0, null, null, null, null, null).Topic);
    }

    [Fact]
    public void Topic_partition_prints_like_kafka()
    {
        Assert.Equal("topic-0", new TopicPartition("topic", 0).ToString());
        Assert.Equal(new TopicPartition("a", 1), new TopicPartition("a", 1));
    }

    [Fact]
    public void Source_partitions_compare_numbers_by_value_and_nest_deeply()
    {
        var comparer = SourcePartitionComparer.Instance;
        IReadOnlyDictionary<string, object?> a = new Dictionary<string, object?> { ["n"] = 5, ["l"] = new List<object?> { 1, "x" }, ["m"] = new Dictionary<string, object?> { ["d"] = 2.0 } };
        IReadOnlyDictionary<string, object?> b = new Dictionary<string, object?> { ["n"] = 5L, ["l"] = new List<object?> { 1L, "x" }, ["m"] = new Dictionary<object, object?> { ["d"] = 2L } };
        IReadOnlyDictionary<string, object?> c = new Dictionary<string, object?> { ["n"] = 6L, ["l"] = new List<object?> { 1L, "x" }, ["m"] = new Dictionary<string, object?> { ["d"] = 2.0 } };

        Assert.True(comparer.Equals(a, b));
        Assert.Equal(comparer.GetHashCode(a), comparer.GetHashCode(b));
        Assert.False(comparer.Equals(a, c));
        var offsets = new Dictionary<IReadOnlyDictionary<string, object?>, string>(comparer) { [a] = "found" };
        Assert.Equal("found", offsets[b]);
    }
}
