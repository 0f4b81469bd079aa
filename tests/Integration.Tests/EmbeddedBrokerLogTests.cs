using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using OrleansConnect.Grains.Kafka;
using OrleansConnect.Silo.EmbeddedBroker;

namespace OrleansConnect.Tests;

/// <summary>The embedded broker's log carries topics, records and group offsets across a restart, whatever stopped the
/// silo: appends are incremental, a torn tail is dropped, the file is compacted, and a previous-format snapshot converted.</summary>
public sealed class EmbeddedBrokerLogTests : IDisposable
{
    private static readonly EmbeddedBrokerLogOptions Options = new();
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "oc-brokerlog-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (DirectoryNotFoundException) { }
    }

    [Fact]
    public async Task A_restarted_broker_gets_back_every_record_and_each_groups_committed_offsets_saved_over_several_appends()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var ct = timeout.Token;
        var partitions = new List<TopicPartition>();
        Dictionary<TopicPartition, PartitionContents> before;
        Dictionary<(string Group, TopicPartition Partition), long> committedBefore;
        string[] groups = ["connect-sink-a", "connect-sink-b", "connect-never-committed"];

        using (var old = EmbeddedKafkaBroker.Start(3))
        {
            var log = await EmbeddedBrokerLog.OpenAsync(old, _dir, Options, NullLogger.Instance, ct);
            old.CreateTopic("single", 1);
            old.CreateTopic("triple", 3);
            // Large records overflow the mock's 5 MiB per partition, so this one's log no longer starts at 0.
            old.CreateTopic("overflowing", 1);
            partitions.Add(new TopicPartition("single", 0));
            partitions.AddRange(Enumerable.Range(0, 3).Select(p => new TopicPartition("triple", p)));
            partitions.Add(new TopicPartition("overflowing", 0));

            using (var producer = KafkaClients.BuildProducer(new Dictionary<string, string> { ["bootstrap.servers"] = old.BootstrapServers, ["log_level"] = "3" }))
            {
                var baseTime = 1_700_000_000_000L;
                for (var i = 0; i < 6; i++)
                {
                    var headers = new Headers { { "trace", Bytes($"t{i}") }, { "trace", Bytes($"again{i}") }, { "nothing", null }, { "empty", [] } };
                    await producer.ProduceAsync(new TopicPartition("single", 0), new Message<byte[]?, byte[]?>
                    {
                        Key = i == 0 ? null : i == 1 ? [] : Bytes($"key-{i}"),
                        Value = i == 2 ? null : i == 3 ? [] : Bytes($"value-{i}"),
                        Headers = headers,
                        Timestamp = new Timestamp(baseTime + i * 1000, TimestampType.CreateTime),
                    }, ct);
                }
                var initial = await log.SaveAsync(groups, ct);
                Assert.Equal(6, initial.Records);
                for (var i = 0; i < 12; i++)
                    await producer.ProduceAsync(new TopicPartition("triple", i % 3), new Message<byte[]?, byte[]?>
                    {
                        Key = Bytes($"k{i}"),
                        Value = i == 7 ? null : Bytes($"v{i}"),
                        Timestamp = new Timestamp(baseTime - i, TimestampType.CreateTime),
                    }, ct);
                for (var i = 0; i < 8; i++)
                    await producer.ProduceAsync(new TopicPartition("overflowing", 0), new Message<byte[]?, byte[]?>
                    {
                        Key = Bytes($"big-{i}"),
                        Value = Enumerable.Repeat((byte)('a' + i), 900_000).ToArray(),
                    }, ct);
            }

            before = new Dictionary<TopicPartition, PartitionContents>();
            foreach (var tp in partitions) before[tp] = await ReadPartitionAsync(old.BootstrapServers, tp, ct);
            var overflowStart = before[new TopicPartition("overflowing", 0)].LogStart;
            Assert.True(overflowStart > 0, "precondition: the mock dropped the oldest large records");

            await CommitAsync(old.BootstrapServers, "connect-sink-a", [
                new TopicPartitionOffset("single", 0, 4),
                new TopicPartitionOffset("triple", 0, 1),
                new TopicPartitionOffset("triple", 2, 4),
                new TopicPartitionOffset("overflowing", 0, overflowStart + 2),
            ], ct);
            await CommitAsync(old.BootstrapServers, "connect-sink-b", [
                new TopicPartitionOffset("single", 0, 6),
                new TopicPartitionOffset("overflowing", 0, 0), // below the log start: points at the first record kept
            ], ct);
            committedBefore = new();
            foreach (var group in groups)
                foreach (var c in await CommittedAsync(old.BootstrapServers, group, partitions, ct))
                    if (c.Offset.Value >= 0) committedBefore[(group, c.TopicPartition)] = c.Offset.Value;
            Assert.Equal(6, committedBefore.Count);

            var second = await log.SaveAsync(groups, ct);
            // Only what changed since the first save: the partitions written after it, the offsets committed after it.
            Assert.Equal(4, second.PartitionsRead);
            Assert.Equal(6, second.GroupOffsets);
            var third = await log.SaveAsync(groups, ct);
            Assert.Equal((0, 0L, 0), (third.PartitionsRead, third.Records, third.GroupOffsets));
            Assert.Equal(0, third.BytesAppended);
            await log.DisposeAsync();
        }
        Assert.False(File.Exists(Path.Combine(_dir, EmbeddedBrokerLog.TemporaryFileName)));

        using var restarted = EmbeddedKafkaBroker.Start(3);
        await using var reopened = await EmbeddedBrokerLog.OpenAsync(restarted, _dir, Options, NullLogger.Instance, ct);

        foreach (var tp in partitions)
        {
            var after = await ReadPartitionAsync(restarted.BootstrapServers, tp, ct);
            var original = before[tp];
            Assert.Equal(0, after.LogStart);
            Assert.Equal(original.Records.Count, after.Records.Count);
            for (var i = 0; i < after.Records.Count; i++)
            {
                var (was, now) = (original.Records[i], after.Records[i]);
                Assert.Equal(i, now.Offset);
                Assert.Equal(was.Key, now.Key);
                Assert.Equal(was.Value, now.Value);
                Assert.Equal(was.Timestamp, now.Timestamp);
                Assert.Equal(was.Headers, now.Headers);
            }
        }
        var single = await ReadPartitionAsync(restarted.BootstrapServers, new TopicPartition("single", 0), ct);
        Assert.Null(single.Records[0].Key);
        Assert.Equal([], single.Records[1].Key!);
        Assert.Null(single.Records[2].Value);
        Assert.Equal([], single.Records[3].Value!);
        Assert.Equal(("nothing", (string?)null), single.Records[5].Headers[2]);
        Assert.Equal((TimestampType.CreateTime, 1_700_000_005_000L), single.Records[5].Timestamp);

        var metadataPartitions = await PartitionCountsAsync(restarted.BootstrapServers, ct);
        Assert.Equal(1, metadataPartitions["single"]);
        Assert.Equal(3, metadataPartitions["triple"]);

        // Each committed offset points at the same record as before: its old offset minus the old log start.
        var committedAfter = new Dictionary<(string, TopicPartition), long>();
        foreach (var group in groups)
            foreach (var c in await CommittedAsync(restarted.BootstrapServers, group, partitions, ct))
                if (c.Offset.Value >= 0) committedAfter[(group, c.TopicPartition)] = c.Offset.Value;
        Assert.Equal(committedBefore.Keys.OrderBy(k => k.ToString()), committedAfter.Keys.OrderBy(k => k.ToString()));
        foreach (var (key, oldOffset) in committedBefore)
        {
            var original = before[key.Partition];
            var expected = Math.Clamp(oldOffset - original.LogStart, 0, original.Records.Count);
            Assert.Equal(expected, committedAfter[key]);
        }
        Assert.Equal(0, committedAfter[("connect-sink-b", new TopicPartition("overflowing", 0))]);

        // The restored log goes on where it stopped, and the rewritten file in the new numbering takes only the new record.
        using (var next = KafkaClients.BuildProducer(new Dictionary<string, string> { ["bootstrap.servers"] = restarted.BootstrapServers, ["log_level"] = "3" }))
        {
            var appended = await next.ProduceAsync(new TopicPartition("single", 0), new Message<byte[]?, byte[]?> { Value = Bytes("after") }, ct);
            Assert.Equal(before[new TopicPartition("single", 0)].Records.Count, appended.Offset.Value);
        }
        var afterRestore = await reopened.SaveAsync([], ct);
        Assert.Equal((1, 1L, 0), (afterRestore.PartitionsRead, afterRestore.Records, afterRestore.GroupOffsets));
        await reopened.DisposeAsync();

        // A second restart gets the same again, plus the appended record, and the groups' offsets still.
        using var again = EmbeddedKafkaBroker.Start(3);
        await using var thirdLog = await EmbeddedBrokerLog.OpenAsync(again, _dir, Options, NullLogger.Instance, ct);
        var single2 = await ReadPartitionAsync(again.BootstrapServers, new TopicPartition("single", 0), ct);
        Assert.Equal(before[new TopicPartition("single", 0)].Records.Select(r => r.Value).Append(Bytes("after")), single2.Records.Select(r => r.Value));
        foreach (var group in groups)
            foreach (var c in await CommittedAsync(again.BootstrapServers, group, partitions, ct))
                if (c.Offset.Value >= 0) Assert.Equal(committedAfter[(group, c.TopicPartition)], c.Offset.Value);
    }

    [Fact]
    public async Task A_start_without_a_log_begins_empty_and_a_file_that_is_not_a_log_is_refused_and_kept()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var ct = timeout.Token;
        using (var broker = EmbeddedKafkaBroker.Start(1))
        {
            await using var log = await EmbeddedBrokerLog.OpenAsync(broker, _dir, Options, NullLogger.Instance, ct);
            Assert.True(File.Exists(LogPath));
            Assert.Empty(await PartitionCountsAsync(broker.BootstrapServers, ct));
        }
        await File.WriteAllTextAsync(LogPath, "not a log at all", ct);
        using var restarted = EmbeddedKafkaBroker.Start(1);
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => EmbeddedBrokerLog.OpenAsync(restarted, _dir, Options, NullLogger.Instance, ct));
        Assert.Contains("magic number", error.Message);
        Assert.Equal("not a log at all", await File.ReadAllTextAsync(LogPath, ct));
    }

    [Fact]
    public async Task A_torn_or_damaged_tail_is_dropped_and_everything_before_it_restored()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var ct = timeout.Token;
        long firstSave;
        using (var old = EmbeddedKafkaBroker.Start(1))
        {
            old.CreateTopic("kept", 2);
            await using var log = await EmbeddedBrokerLog.OpenAsync(old, _dir, Options, NullLogger.Instance, ct);
            await ProduceAsync(old.BootstrapServers, "kept", 0, Enumerable.Range(0, 5).Select(i => $"first-{i}"), ct);
            await log.SaveAsync([], ct);
            firstSave = log.FileBytes;
            await ProduceAsync(old.BootstrapServers, "kept", 1, Enumerable.Range(0, 5).Select(i => $"second-{i}"), ct);
            await CommitAsync(old.BootstrapServers, "sink", [new TopicPartitionOffset("kept", 1, 3)], ct);
            var second = await log.SaveAsync(["sink"], ct);
            Assert.Equal((1, 5L, 1), (second.PartitionsRead, second.Records, second.GroupOffsets));
        }
        var whole = await File.ReadAllBytesAsync(LogPath, ct);

        // kill -9 mid-append: the second save's last frame (its group offset) stops half-way.
        await File.WriteAllBytesAsync(LogPath, whole[..^7], ct);
        using (var restarted = EmbeddedKafkaBroker.Start(1))
        {
            await using var log = await EmbeddedBrokerLog.OpenAsync(restarted, _dir, Options, NullLogger.Instance, ct);
            Assert.Equal(Values("first", 5), await ReadValuesAsync(restarted.BootstrapServers, new TopicPartition("kept", 0), ct));
            Assert.Equal(Values("second", 5), await ReadValuesAsync(restarted.BootstrapServers, new TopicPartition("kept", 1), ct));
            // The offset's frame was torn: the group restarts from the beginning (a repeat, never a loss).
            Assert.All(await CommittedAsync(restarted.BootstrapServers, "sink", [new TopicPartition("kept", 1)], ct), c => Assert.True(c.Offset.Value < 0));
        }

        // A tail that is all there but fails its checksum (a block written out of order), then junk: dropped as well.
        var damaged = whole[..(int)firstSave].Concat(whole[(int)firstSave..]).ToArray();
        damaged[^3] ^= 0xFF;
        await File.WriteAllBytesAsync(LogPath, damaged.Concat(new byte[] { 1, 2, 3 }).ToArray(), ct);
        using (var restarted = EmbeddedKafkaBroker.Start(1))
        {
            await using var log = await EmbeddedBrokerLog.OpenAsync(restarted, _dir, Options, NullLogger.Instance, ct);
            Assert.Equal(Values("second", 5), await ReadValuesAsync(restarted.BootstrapServers, new TopicPartition("kept", 1), ct));
            Assert.All(await CommittedAsync(restarted.BootstrapServers, "sink", [new TopicPartition("kept", 1)], ct), c => Assert.True(c.Offset.Value < 0));
        }

        // Only the first save survived whole: the second's records are gone, the first's are there.
        await File.WriteAllBytesAsync(LogPath, whole[..(int)(firstSave + 3)], ct);
        using (var restarted = EmbeddedKafkaBroker.Start(1))
        {
            await using var log = await EmbeddedBrokerLog.OpenAsync(restarted, _dir, Options, NullLogger.Instance, ct);
            Assert.Equal(Values("first", 5), await ReadValuesAsync(restarted.BootstrapServers, new TopicPartition("kept", 0), ct));
            Assert.Empty(await ReadValuesAsync(restarted.BootstrapServers, new TopicPartition("kept", 1), ct));
            // The next save appends after the intact part, and a restart sees it.
            await ProduceAsync(restarted.BootstrapServers, "kept", 1, ["third-0"], ct);
            await log.SaveAsync([], ct);
        }
        using (var restarted = EmbeddedKafkaBroker.Start(1))
        {
            await using var log = await EmbeddedBrokerLog.OpenAsync(restarted, _dir, Options, NullLogger.Instance, ct);
            Assert.Equal(["third-0"], await ReadValuesAsync(restarted.BootstrapServers, new TopicPartition("kept", 1), ct));
        }
    }

    [Fact]
    public async Task Compaction_drops_what_the_broker_dropped_and_replaced_offsets_and_restores_the_same_contents()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var ct = timeout.Token;
        var options = new EmbeddedBrokerLogOptions { CompactionMinGarbageBytes = 0 };
        var tp = new TopicPartition("big", 0);
        PartitionContents before;
        long committed;
        using (var old = EmbeddedKafkaBroker.Start(1))
        {
            old.CreateTopic("big", 1);
            old.CreateTopic("small", 1);
            await using var log = await EmbeddedBrokerLog.OpenAsync(old, _dir, options, NullLogger.Instance, ct);
            await ProduceAsync(old.BootstrapServers, "small", 0, ["s0", "s1"], ct);
            // 900 kB records, one save after each: the mock keeps 5 MiB, so the early ones drop out of the broker but stay
            // in the file until it is compacted.
            for (var i = 0; i < 14; i++)
            {
                await ProduceAsync(old.BootstrapServers, "big", 0, [new string((char)('a' + i), 900_000)], ct);
                await CommitAsync(old.BootstrapServers, "sink", [new TopicPartitionOffset(tp, i)], ct);
                await log.SaveAsync(["sink"], ct);
                Assert.False(await log.CompactIfWorthwhileAsync(long.MaxValue, ct));
            }
            before = await ReadPartitionAsync(old.BootstrapServers, tp, ct);
            Assert.True(before.LogStart > 0, "precondition: the mock dropped the oldest records");
            committed = 13;
            Assert.True(log.FileBytes > 2 * log.LiveBytes, $"precondition: {log.FileBytes} bytes of which {log.LiveBytes} live");
            var length = log.FileBytes;

            Assert.True(await log.CompactIfWorthwhileAsync(0, ct));
            Assert.True(log.FileBytes < length / 2, $"compacted to {log.FileBytes} of {length} bytes");
            Assert.Equal(log.FileBytes, new FileInfo(LogPath).Length);
            Assert.False(await log.CompactIfWorthwhileAsync(0, ct));
            Assert.False(File.Exists(Path.Combine(_dir, EmbeddedBrokerLog.TemporaryFileName)));
            // Appends go on after the compacted file.
            await ProduceAsync(old.BootstrapServers, "small", 0, ["s2"], ct);
            Assert.Equal(1, (await log.SaveAsync(["sink"], ct)).Records);
        }

        using var restarted = EmbeddedKafkaBroker.Start(1);
        await using var reopened = await EmbeddedBrokerLog.OpenAsync(restarted, _dir, options, NullLogger.Instance, ct);
        var after = await ReadPartitionAsync(restarted.BootstrapServers, tp, ct);
        Assert.Equal(before.Records.Select(r => r.Value), after.Records.Select(r => r.Value));
        Assert.Equal(["s0", "s1", "s2"], await ReadValuesAsync(restarted.BootstrapServers, new TopicPartition("small", 0), ct));
        var offset = Assert.Single(await CommittedAsync(restarted.BootstrapServers, "sink", [tp], ct));
        Assert.Equal(committed - before.LogStart, offset.Offset.Value);
    }

    [Fact]
    public async Task A_snapshot_of_the_previous_format_is_converted_restored_and_removed()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var ct = timeout.Token;
        Directory.CreateDirectory(_dir);
        var legacy = Path.Combine(_dir, EmbeddedBrokerSnapshot.FileName);
        // As the previous version wrote it at a clean stop: partition 1 had lost its first two records to retention.
        using (var file = File.Create(legacy))
        using (var writer = new EmbeddedBrokerSnapshotFormat.Writer(file))
        {
            writer.WriteHeader(DateTimeOffset.UtcNow);
            writer.WriteGroupOffset(new SnapshotGroupOffset("sink", "old", 1, 4));
            writer.WriteTopic(new SnapshotTopic("old", 2, 1));
            writer.WritePartition(new SnapshotPartition("old", 0, 0, 2));
            writer.WriteRecord(0, (byte)TimestampType.CreateTime, 1_700_000_000_000, Bytes("k0"), Bytes("v0"), [new("h", Bytes("x"))]);
            writer.WriteRecord(1, (byte)TimestampType.CreateTime, 1_700_000_000_001, null, Bytes("v1"), []);
            writer.WritePartitionEnd(2);
            writer.WritePartition(new SnapshotPartition("old", 1, 2, 5));
            for (var o = 2; o < 5; o++) writer.WriteRecord(o, (byte)TimestampType.CreateTime, 1_700_000_000_000 + o, null, Bytes($"w{o}"), []);
            writer.WritePartitionEnd(3);
            writer.WriteEnd(5);
        }
        await File.WriteAllTextAsync(Path.Combine(_dir, EmbeddedBrokerSnapshot.RestoredFileName), "an older one, long restored", ct);

        using (var broker = EmbeddedKafkaBroker.Start(1))
        {
            await using var log = await EmbeddedBrokerLog.OpenAsync(broker, _dir, Options, NullLogger.Instance, ct);
            Assert.False(File.Exists(legacy));
            Assert.False(File.Exists(Path.Combine(_dir, EmbeddedBrokerSnapshot.RestoredFileName)));
            Assert.Equal(["v0", "v1"], await ReadValuesAsync(broker.BootstrapServers, new TopicPartition("old", 0), ct));
            Assert.Equal(["w2", "w3", "w4"], await ReadValuesAsync(broker.BootstrapServers, new TopicPartition("old", 1), ct));
            var first = (await ReadPartitionAsync(broker.BootstrapServers, new TopicPartition("old", 0), ct)).Records[0];
            Assert.Equal(("k0", (TimestampType.CreateTime, 1_700_000_000_000L)), (Encoding.UTF8.GetString(first.Key!), first.Timestamp));
            Assert.Equal([("h", (string?)"x")], first.Headers);
            // Offset 4 of the old numbering is the record w4, now at 2.
            Assert.Equal(2, Assert.Single(await CommittedAsync(broker.BootstrapServers, "sink", [new TopicPartition("old", 1)], ct)).Offset.Value);
        }
        // From now on the log is what restores.
        using (var broker = EmbeddedKafkaBroker.Start(1))
        {
            await using var log = await EmbeddedBrokerLog.OpenAsync(broker, _dir, Options, NullLogger.Instance, ct);
            Assert.Equal(["w2", "w3", "w4"], await ReadValuesAsync(broker.BootstrapServers, new TopicPartition("old", 1), ct));
            Assert.Equal(2, Assert.Single(await CommittedAsync(broker.BootstrapServers, "sink", [new TopicPartition("old", 1)], ct)).Offset.Value);
        }

        // A damaged previous-format snapshot stops the start before the broker is touched, and stays.
        await File.WriteAllBytesAsync(legacy, Encoding.UTF8.GetBytes("OCEKSNAP and then nothing"), ct);
        using var refused = EmbeddedKafkaBroker.Start(1);
        await Assert.ThrowsAsync<InvalidDataException>(() => EmbeddedBrokerLog.OpenAsync(refused, _dir, Options, NullLogger.Instance, ct));
        Assert.True(File.Exists(legacy));
        Assert.Empty(await PartitionCountsAsync(refused.BootstrapServers, ct));
    }

    [Fact]
    public async Task A_cancelled_save_leaves_the_file_as_the_last_save_did()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var ct = timeout.Token;
        using var broker = EmbeddedKafkaBroker.Start(1);
        broker.CreateTopic("kept", 1);
        await using var log = await EmbeddedBrokerLog.OpenAsync(broker, _dir, Options, NullLogger.Instance, ct);
        await ProduceAsync(broker.BootstrapServers, "kept", 0, ["a"], ct);
        await log.SaveAsync([], ct);
        var saved = await File.ReadAllBytesAsync(LogPath, ct);
        await ProduceAsync(broker.BootstrapServers, "kept", 0, ["b"], ct);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => log.SaveAsync([], cancelled.Token));
        Assert.Equal(saved, await File.ReadAllBytesAsync(LogPath, ct));
        Assert.Equal(1, (await log.SaveAsync([], ct)).Records);
    }

    private string LogPath => Path.Combine(_dir, EmbeddedBrokerLog.FileName);

    private static List<string> Values(string prefix, int count) => Enumerable.Range(0, count).Select(i => $"{prefix}-{i}").ToList();

    private static async Task ProduceAsync(string bootstrap, string topic, int partition, IEnumerable<string> values, CancellationToken ct)
    {
        using var producer = KafkaClients.BuildProducer(new Dictionary<string, string> { ["bootstrap.servers"] = bootstrap, ["log_level"] = "3" });
        foreach (var value in values)
            await producer.ProduceAsync(new TopicPartition(topic, partition), new Message<byte[]?, byte[]?> { Value = Bytes(value) }, ct);
    }

    private static async Task<List<string>> ReadValuesAsync(string bootstrap, TopicPartition tp, CancellationToken ct) =>
        (await ReadPartitionAsync(bootstrap, tp, ct)).Records.Select(r => Encoding.UTF8.GetString(r.Value ?? [])).ToList();

    private sealed record StoredRecord(long Offset, byte[]? Key, byte[]? Value, (TimestampType, long) Timestamp, List<(string, string?)> Headers);
    private sealed record PartitionContents(long LogStart, List<StoredRecord> Records);

    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    private static Task<PartitionContents> ReadPartitionAsync(string bootstrap, TopicPartition tp, CancellationToken ct) => KafkaBlocking.Run(() =>
    {
        using var consumer = KafkaClients.BuildConsumer(new Dictionary<string, string>
        {
            ["bootstrap.servers"] = bootstrap,
            ["group.id"] = "test-reader-" + Guid.NewGuid().ToString("N"),
            ["enable.auto.commit"] = "false",
            ["log_level"] = "3",
        });
        var marks = consumer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(10));
        var records = new List<StoredRecord>();
        if (marks.High > marks.Low)
        {
            consumer.Assign(new TopicPartitionOffset(tp, marks.Low));
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (records.Count < marks.High - marks.Low)
            {
                Assert.True(DateTime.UtcNow < deadline, $"reading {tp} timed out after {records.Count} records");
                var r = consumer.Consume(TimeSpan.FromMilliseconds(200));
                if (r is null) continue;
                records.Add(new StoredRecord(r.Offset.Value, r.Message.Key, r.Message.Value,
                    (r.Message.Timestamp.Type, r.Message.Timestamp.UnixTimestampMs),
                    (r.Message.Headers ?? []).Select(h => (h.Key, h.GetValueBytes() is { } v ? Encoding.UTF8.GetString(v) : null)).ToList()));
            }
        }
        consumer.Close();
        return new PartitionContents(marks.Low.Value, records);
    }, ct);

    private static Task CommitAsync(string bootstrap, string group, List<TopicPartitionOffset> offsets, CancellationToken ct) => KafkaBlocking.Run(() =>
    {
        using var consumer = KafkaClients.BuildConsumer(new Dictionary<string, string>
        {
            ["bootstrap.servers"] = bootstrap, ["group.id"] = group, ["enable.auto.commit"] = "false", ["log_level"] = "3",
        });
        consumer.Commit(offsets);
        consumer.Close();
    }, ct);

    private static Task<List<TopicPartitionOffset>> CommittedAsync(string bootstrap, string group, List<TopicPartition> partitions, CancellationToken ct) => KafkaBlocking.Run(() =>
    {
        using var consumer = KafkaClients.BuildConsumer(new Dictionary<string, string>
        {
            ["bootstrap.servers"] = bootstrap, ["group.id"] = group, ["enable.auto.commit"] = "false", ["log_level"] = "3",
        });
        var committed = consumer.Committed(partitions, TimeSpan.FromSeconds(10));
        consumer.Close();
        return committed;
    }, ct);

    private static Task<Dictionary<string, int>> PartitionCountsAsync(string bootstrap, CancellationToken ct) => KafkaBlocking.Run(() =>
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build();
        return admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics
            .Where(t => t.Error.Code == ErrorCode.NoError)
            .ToDictionary(t => t.Topic, t => t.Partitions.Count);
    }, ct);
}
