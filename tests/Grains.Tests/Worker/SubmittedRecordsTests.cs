using OrleansConnect.Grains.Worker;

namespace OrleansConnect.Tests.Worker;

/// <summary>The source task's record of what it sent: an offset becomes committable only with every record before it
/// in its partition acknowledged, and acknowledged records do not pile up between two commits.</summary>
public sealed class SubmittedRecordsTests
{
    private static readonly IReadOnlyDictionary<string, object?> PartitionA = new Dictionary<string, object?> { ["server"] = "a" };
    private static readonly IReadOnlyDictionary<string, object?> PartitionB = new Dictionary<string, object?> { ["server"] = "b" };

    private static IReadOnlyDictionary<string, object?> Offset(long lsn) => new Dictionary<string, object?> { ["lsn"] = lsn };

    [Fact]
    public void An_offset_is_committable_only_once_every_record_before_it_is_acknowledged()
    {
        var submitted = new SubmittedRecords();
        var first = submitted.Submit(PartitionA, Offset(1))!;
        var second = submitted.Submit(PartitionA, Offset(2))!;
        second.Ack();
        Assert.Empty(submitted.TakeCommittable(out var none));
        Assert.Equal(0, none);
        Assert.Equal(2, submitted.Pending);

        first.Ack();
        var committable = Assert.Single(submitted.TakeCommittable(out var records));
        Assert.Equal(2, records);
        Assert.Equal(2L, committable.Value!["lsn"]);
        Assert.Equal(0, submitted.Pending);
        Assert.Empty(submitted.TakeCommittable(out _));
    }

    [Fact]
    public void Acknowledged_records_leave_the_queue_as_more_are_sent_and_their_last_offset_is_committed_later()
    {
        var submitted = new SubmittedRecords();
        for (var lsn = 1; lsn <= 1000; lsn++) submitted.Submit(PartitionA, Offset(lsn))!.Ack();
        var inFlight = submitted.Submit(PartitionA, Offset(1001))!;
        // Only the record in flight is left, however many were sent since the last commit.
        Assert.Equal(1, submitted.Pending);

        var committable = Assert.Single(submitted.TakeCommittable(out var records));
        Assert.Equal(1000, records);
        Assert.Equal(1000L, committable.Value!["lsn"]);

        inFlight.Ack();
        Assert.Equal(1001L, Assert.Single(submitted.TakeCommittable(out records)).Value!["lsn"]);
        Assert.Equal(1, records);
    }

    [Fact]
    public void Partitions_are_committed_independently()
    {
        var submitted = new SubmittedRecords();
        var a = submitted.Submit(PartitionA, Offset(1))!;
        submitted.Submit(PartitionB, Offset(7))!.Ack();
        submitted.Submit(PartitionA, Offset(2))!.Ack();
        // A's first record still in flight holds A back, not B.
        var committable = Assert.Single(submitted.TakeCommittable(out _));
        Assert.Equal("b", committable.Key["server"]);
        a.Ack();
        Assert.Equal(2L, Assert.Single(submitted.TakeCommittable(out _)).Value!["lsn"]);
    }
}
