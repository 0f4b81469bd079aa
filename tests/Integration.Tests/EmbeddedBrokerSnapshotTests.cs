using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using OrleansConnect.Grains.Kafka;

namespace OrleansConnect.Tests;

/// <summary>The embedded broker's snapshot carries topics, records and group offsets across a restart.</summary>
public sealed class EmbeddedBrokerSnapshotTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "oc-snapshot-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (DirectoryNotFoundException) { }
    }

    [Fact]
    public async Task A_restarted_broker_gets_back_every_record_and_each_groups_committed_offsets()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var ct = timeout.Token;
        var partitions = new List<TopicPartition>();
        Dictionary<TopicPartition, PartitionContents> before;
        Dictionary<(string Group, TopicPartition Partition), long> committedBefore;
        string[] groups = ["connect-sink-a", "connect-sink-b", "connect-never-committed"];

        using (var old = EmbeddedKafkaBroker.Start(3))
        {
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

            await EmbeddedBrokerSnapshot.SaveAsync(old, _dir, groups, NullLogger.Instance, ct);
        }
        Assert.True(File.Exists(Path.Combine(_dir, EmbeddedBrokerSnapshot.FileName)));
        Assert.False(File.Exists(Path.Combine(_dir, EmbeddedBrokerSnapshot.TemporaryFileName)));

        using var restarted = EmbeddedKafkaBroker.Start(3);
        Assert.True(await EmbeddedBrokerSnapshot.RestoreAsync(restarted, _dir, NullLogger.Instance, ct));

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

        // Restored once: the file is set aside, so a later start does not replay it over newer data.
        Assert.False(File.Exists(Path.Combine(_dir, EmbeddedBrokerSnapshot.FileName)));
        Assert.True(File.Exists(Path.Combine(_dir, EmbeddedBrokerSnapshot.RestoredFileName)));
        Assert.False(await EmbeddedBrokerSnapshot.RestoreAsync(restarted, _dir, NullLogger.Instance, ct));

        // The restored log goes on where it stopped.
        using var next = KafkaClients.BuildProducer(new Dictionary<string, string> { ["bootstrap.servers"] = restarted.BootstrapServers, ["log_level"] = "3" });
        var appended = await next.ProduceAsync(new TopicPartition("single", 0), new Message<byte[]?, byte[]?> { Value = Bytes("after") }, ct);
        Assert.Equal(before[new TopicPartition("single", 0)].Records.Count, appended.Offset.Value);
    }

    [Fact]
    public async Task Restore_without_a_snapshot_reports_false_and_leaves_the_broker_alone()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var ct = timeout.Token;
        using var broker = EmbeddedKafkaBroker.Start(1);
        Assert.False(await EmbeddedBrokerSnapshot.RestoreAsync(broker, _dir, NullLogger.Instance, ct));
        Assert.DoesNotContain("single", (await PartitionCountsAsync(broker.BootstrapServers, ct)).Keys);
    }

    [Fact]
    public async Task A_damaged_snapshot_is_refused_before_the_broker_is_touched_and_kept_in_place()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var ct = timeout.Token;
        using (var old = EmbeddedKafkaBroker.Start(1))
        {
            old.CreateTopic("kept", 2);
            using var producer = KafkaClients.BuildProducer(new Dictionary<string, string> { ["bootstrap.servers"] = old.BootstrapServers, ["log_level"] = "3" });
            for (var i = 0; i < 4; i++)
                await producer.ProduceAsync(new TopicPartition("kept", i % 2), new Message<byte[]?, byte[]?> { Value = Bytes($"r{i}") }, ct);
            await EmbeddedBrokerSnapshot.SaveAsync(old, _dir, [], NullLogger.Instance, ct);
        }
        var path = Path.Combine(_dir, EmbeddedBrokerSnapshot.FileName);
        var bytes = await File.ReadAllBytesAsync(path, ct);
        await File.WriteAllBytesAsync(path, bytes[..^5], ct);

        using var restarted = EmbeddedKafkaBroker.Start(1);
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => EmbeddedBrokerSnapshot.RestoreAsync(restarted, _dir, NullLogger.Instance, ct));
        Assert.Contains("truncated", error.Message);
        Assert.Equal(bytes.Length - 5, new FileInfo(path).Length);
        Assert.DoesNotContain("kept", (await PartitionCountsAsync(restarted.BootstrapServers, ct)).Keys);

        await File.WriteAllBytesAsync(path, Encoding.UTF8.GetBytes("not a snapshot at all"), ct);
        error = await Assert.ThrowsAsync<InvalidDataException>(() => EmbeddedBrokerSnapshot.RestoreAsync(restarted, _dir, NullLogger.Instance, ct));
        Assert.Contains("magic number", error.Message);
    }

    [Fact]
    public async Task A_start_that_never_served_puts_its_snapshot_back_and_a_cancelled_save_leaves_it_untouched()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var ct = timeout.Token;
        var path = Path.Combine(_dir, EmbeddedBrokerSnapshot.FileName);
        using (var old = EmbeddedKafkaBroker.Start(1))
        {
            old.CreateTopic("kept", 1);
            using var producer = KafkaClients.BuildProducer(new Dictionary<string, string> { ["bootstrap.servers"] = old.BootstrapServers, ["log_level"] = "3" });
            await producer.ProduceAsync(new TopicPartition("kept", 0), new Message<byte[]?, byte[]?> { Value = Bytes("r0") }, ct);
            await EmbeddedBrokerSnapshot.SaveAsync(old, _dir, [], NullLogger.Instance, ct);
        }
        var saved = await File.ReadAllBytesAsync(path, ct);

        using var restarted = EmbeddedKafkaBroker.Start(1);
        Assert.True(await EmbeddedBrokerSnapshot.RestoreAsync(restarted, _dir, NullLogger.Instance, ct));
        Assert.False(File.Exists(path));
        // The start failed before serving: the broker still holds exactly the snapshot, which goes back in place.
        Assert.True(EmbeddedBrokerSnapshot.Reinstate(_dir));
        Assert.Equal(saved, await File.ReadAllBytesAsync(path, ct));
        Assert.False(File.Exists(Path.Combine(_dir, EmbeddedBrokerSnapshot.RestoredFileName)));
        Assert.False(EmbeddedBrokerSnapshot.Reinstate(_dir));

        // A save cut short (the stop's budget ran out) neither replaces the snapshot nor leaves a partial file.
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => EmbeddedBrokerSnapshot.SaveAsync(restarted, _dir, [], NullLogger.Instance, cancelled.Token));
        Assert.Equal(saved, await File.ReadAllBytesAsync(path, ct));
        Assert.False(File.Exists(Path.Combine(_dir, EmbeddedBrokerSnapshot.TemporaryFileName)));
    }

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
