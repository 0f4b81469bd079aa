using System.Diagnostics;
using Confluent.Kafka;
using ErrorCode = Confluent.Kafka.ErrorCode;
using Microsoft.Extensions.Logging;

namespace OrleansConnect.Grains.Kafka;

/// <summary>Carries the embedded broker's contents across a clean restart of its silo: every topic with its
/// partition count, every record still in the log (key, value, headers, timestamp) and the committed offsets of the
/// consumer groups named at save time. A real Kafka keeps all of this on disk; the mock cluster keeps it in memory
/// only, so without the snapshot a restarted source re-reads its input and a sink writes everything again.
/// <para>Only a clean stop saves: a silo killed without a shutdown (SIGKILL, crash, power loss) restarts with an empty
/// embedded broker. After a restore the file is renamed to <see cref="RestoredFileName"/> so that a crash after the
/// restore never replays the old snapshot on top of newer data.</para>
/// <para>Restored records get new offsets, 0 upwards in their original order (the old log-start offset is lost),
/// and each group's committed offset is moved to the same record it pointed at. Records are produced again with
/// their original timestamps as create time.</para></summary>
public static class EmbeddedBrokerSnapshot
{
    public const string FileName = "embedded-kafka.snapshot";
    public const string TemporaryFileName = FileName + ".tmp";
    public const string RestoredFileName = FileName + ".restored";

    // Kafka's own internal topics: the mock keeps group state outside any topic, so these never hold our data.
    private static readonly HashSet<string> InternalTopics = new(StringComparer.Ordinal) { "__consumer_offsets", "__transaction_state" };
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    // Non-empty partitions read (and buffered) together: the mock keeps at most 5 MiB per partition, so a wave holds
    // at most ~80 MiB while it is written.
    private const int WaveSize = 16;

    /// <summary>Writes a snapshot of <paramref name="broker"/> to <c>directory/embedded-kafka.snapshot</c> (through a
    /// temporary file renamed into place, so a stop interrupted mid-save leaves the previous state untouched).
    /// Call it after every task has stopped and committed, before the broker is disposed.</summary>
    public static Task SaveAsync(EmbeddedKafkaBroker broker, string directory, IEnumerable<string> consumerGroups, ILogger logger, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(broker);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(consumerGroups);
        ArgumentNullException.ThrowIfNull(logger);
        var groups = consumerGroups.Where(g => !string.IsNullOrEmpty(g)).Distinct(StringComparer.Ordinal).ToList();
        return KafkaBlocking.Run(() => Save(broker.BootstrapServers, directory, groups, logger, ct), ct);
    }

    /// <summary>Restores the snapshot in <paramref name="directory"/>, if there is one, into a freshly started
    /// <paramref name="broker"/> (before anything else uses it) and renames the file to <see cref="RestoredFileName"/>.
    /// Returns false when there is no snapshot. A damaged snapshot is an <see cref="InvalidDataException"/> raised
    /// before the broker is touched; the file stays where it is.</summary>
    public static Task<bool> RestoreAsync(EmbeddedKafkaBroker broker, string directory, ILogger logger, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(broker);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(logger);
        return KafkaBlocking.Run(() => Restore(broker, directory, logger, ct), ct);
    }

    /// <summary>Puts back the snapshot the last start restored (if no newer one was saved since), for a start that
    /// failed before anything used the broker: its contents are still exactly the snapshot's. Returns whether it did.</summary>
    public static bool Reinstate(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var restored = Path.Combine(directory, RestoredFileName);
        var path = Path.Combine(directory, FileName);
        if (File.Exists(path) || !File.Exists(restored)) return false;
        File.Move(restored, path);
        return true;
    }

    private static void Save(string bootstrap, string directory, IReadOnlyList<string> groups, ILogger logger, CancellationToken ct)
    {
        var started = Stopwatch.StartNew();
        Directory.CreateDirectory(directory);
        var topics = ListTopics(bootstrap, logger, ct);
        var partitions = topics
            .SelectMany(t => Enumerable.Range(0, t.Partitions).Select(p => new TopicPartition(t.Name, new Partition(p))))
            .ToList();
        var groupOffsets = groups.SelectMany(g => ReadCommitted(bootstrap, g, partitions)).ToList();

        var temporary = Path.Combine(directory, TemporaryFileName);
        long total = 0;
        try
        {
            using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                using (var writer = new EmbeddedBrokerSnapshotFormat.Writer(file))
                {
                    writer.WriteHeader(DateTimeOffset.UtcNow);
                    foreach (var offset in groupOffsets) writer.WriteGroupOffset(offset);
                    foreach (var topic in topics) writer.WriteTopic(topic);
                    using var consumer = KafkaClients.BuildConsumer(ReaderConfig(bootstrap));
                    var extents = Watermarks(consumer, partitions, ct);
                    // Partitions in their order, in waves holding at most WaveSize non-empty ones: a wave's records are
                    // read through one assignment and buffered until its partitions are written.
                    var wave = new List<SnapshotPartition>();
                    foreach (var extent in extents)
                    {
                        wave.Add(extent);
                        if (wave.Count(p => p.EndOffset > p.LogStartOffset) < WaveSize) continue;
                        total += CopyWave(consumer, wave, writer, logger, ct);
                        wave.Clear();
                    }
                    if (wave.Count > 0) total += CopyWave(consumer, wave, writer, logger, ct);
                    consumer.Close();
                    writer.WriteEnd(total);
                }
                // On disk before the rename makes it the snapshot.
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, Path.Combine(directory, FileName), overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
        // An older restored snapshot describes a state that no longer exists.
        TryDelete(Path.Combine(directory, RestoredFileName));
        logger.LogInformation("Saved the embedded Kafka broker to {Path}: {Topics} topics, {Records} records, {Offsets} committed offsets of {Groups} groups in {Elapsed} ms",
            Path.Combine(directory, FileName), topics.Count, total, groupOffsets.Count, groups.Count, started.ElapsedMilliseconds);
    }

    private static List<SnapshotTopic> ListTopics(string bootstrap, ILogger logger, CancellationToken ct)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build();
        Metadata metadata;
        var attempt = 0;
        // A topic can briefly report an error (no leader yet); ask again before giving up on it.
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            metadata = admin.GetMetadata(RequestTimeout);
            if (metadata.Topics.All(t => t.Error.Code == ErrorCode.NoError) || ++attempt >= 5) break;
            ct.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(200));
        }
        var topics = new List<SnapshotTopic>();
        foreach (var topic in metadata.Topics.OrderBy(t => t.Topic, StringComparer.Ordinal))
        {
            if (InternalTopics.Contains(topic.Topic)) continue;
            if (topic.Error.Code != ErrorCode.NoError || topic.Partitions.Count == 0)
            {
                logger.LogError("Embedded broker snapshot leaves out topic {Topic}: its metadata reports {Error}", topic.Topic, topic.Error);
                continue;
            }
            var replication = Math.Max(1, topic.Partitions.Max(p => p.Replicas.Length));
            topics.Add(new SnapshotTopic(topic.Topic, topic.Partitions.Count, replication));
        }
        return topics;
    }

    private static IEnumerable<SnapshotGroupOffset> ReadCommitted(string bootstrap, string group, List<TopicPartition> partitions)
    {
        if (partitions.Count == 0) return [];
        using var consumer = KafkaClients.BuildConsumer(GroupConfig(bootstrap, group));
        try
        {
            return consumer.Committed(partitions, RequestTimeout)
                .Where(o => o.Offset.Value >= 0)
                .Select(o => new SnapshotGroupOffset(group, o.Topic, o.Partition.Value, o.Offset.Value))
                .ToList();
        }
        finally
        {
            consumer.Close();
        }
    }

    /// <summary>Every partition's log-start and end offsets, in partition order. Asked as two batched ListOffsets
    /// (EARLIEST, LATEST: one request per leader each) instead of a watermark query per partition, which costs a round
    /// trip each and, on a consumer that has been fetching, waits behind its pending fetch (fetch.wait.max.ms).</summary>
    private static List<SnapshotPartition> Watermarks(IConsumer<byte[]?, byte[]?> consumer, List<TopicPartition> partitions, CancellationToken ct)
    {
        if (partitions.Count == 0) return [];
        var attempt = 0;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                var low = ListOffsets(consumer, partitions, Offset.Beginning);
                var high = ListOffsets(consumer, partitions, Offset.End);
                return partitions.Select(tp => new SnapshotPartition(tp.Topic, tp.Partition.Value, low[tp], high[tp])).ToList();
            }
            catch (KafkaException) when (++attempt < 5)
            {
                // A partition can briefly have no leader; ask again, as for the topic list.
                ct.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(200));
            }
        }
    }

    /// <summary>ListOffsets for a logical offset: the protocol takes -2 (earliest) and -1 (latest) in place of a
    /// timestamp, which is how offsetsForTimes carries them.</summary>
    private static Dictionary<TopicPartition, long> ListOffsets(IConsumer<byte[]?, byte[]?> consumer, List<TopicPartition> partitions, Offset logical) =>
        consumer.OffsetsForTimes(partitions.Select(tp => new TopicPartitionTimestamp(tp, new Timestamp(logical.Value, TimestampType.CreateTime))), RequestTimeout)
            .ToDictionary(o => o.TopicPartition, o => o.Offset.Value < 0
                ? throw new KafkaException(new Error(ErrorCode.Local_Fail, $"{o.TopicPartition} has no {(logical == Offset.End ? "end" : "start")} offset"))
                : o.Offset.Value);

    /// <summary>Writes the partitions of one wave, in order; the non-empty ones are read together through one
    /// assignment, each from its log start to its end, the empty ones are not read at all. Returns how many records.</summary>
    private static long CopyWave(IConsumer<byte[]?, byte[]?> consumer, List<SnapshotPartition> wave,
        EmbeddedBrokerSnapshotFormat.Writer writer, ILogger logger, CancellationToken ct)
    {
        var reads = wave.Where(p => p.EndOffset > p.LogStartOffset)
            .ToDictionary(p => new TopicPartition(p.Topic, new Partition(p.Partition)), p => new PartitionRead(p));
        if (reads.Count > 0)
        {
            consumer.Assign(reads.Select(r => new TopicPartitionOffset(r.Key, new Offset(r.Value.Extent.LogStartOffset))));
            var open = reads.Count;
            var lastProgress = Stopwatch.StartNew();
            while (open > 0)
            {
                ct.ThrowIfCancellationRequested();
                var result = consumer.Consume(PollInterval);
                if (result is null)
                {
                    if (lastProgress.Elapsed > StallTimeout)
                        throw new TimeoutException($"Reading {string.Join(", ", reads.Where(r => !r.Value.Done).Select(r => $"{r.Key} (at record {r.Value.Records.Count} of offsets {r.Value.Extent.LogStartOffset}..{r.Value.Extent.EndOffset})"))} " +
                            $"for the embedded broker snapshot made no progress for {StallTimeout.TotalSeconds:0} s.");
                    continue;
                }
                lastProgress.Restart();
                if (!reads.TryGetValue(result.TopicPartition, out var read) || read.Done) continue;
                if (result.IsPartitionEOF)
                {
                    // Read-committed stops at the last stable offset: an open transaction's records are not committed data.
                    if (result.Offset.Value < read.Extent.EndOffset)
                        logger.LogWarning("Embedded broker snapshot of {Partition} stops at offset {Offset} of {End}: the rest is not committed", result.TopicPartition, result.Offset.Value, read.Extent.EndOffset);
                    read.Done = true;
                    open--;
                    continue;
                }
                var message = result.Message;
                read.Records.Add(new SnapshotRecord(result.Offset.Value, (byte)message.Timestamp.Type, message.Timestamp.UnixTimestampMs,
                    message.Key, message.Value,
                    message.Headers?.Select(h => new KeyValuePair<string, byte[]?>(h.Key, h.GetValueBytes())).ToList() ?? []));
                if (result.Offset.Value >= read.Extent.EndOffset - 1)
                {
                    read.Done = true;
                    open--;
                }
            }
            consumer.Unassign();
        }
        long count = 0;
        foreach (var extent in wave)
        {
            writer.WritePartition(extent);
            var records = reads.TryGetValue(new TopicPartition(extent.Topic, new Partition(extent.Partition)), out var read) ? read.Records : [];
            foreach (var r in records) writer.WriteRecord(r.Offset, r.TimestampType, r.TimestampMs, r.Key, r.Value, r.Headers);
            writer.WritePartitionEnd(records.Count);
            count += records.Count;
        }
        return count;
    }

    private sealed class PartitionRead(SnapshotPartition extent)
    {
        public SnapshotPartition Extent { get; } = extent;
        public List<SnapshotRecord> Records { get; } = [];
        public bool Done { get; set; }
    }

    private static bool Restore(EmbeddedKafkaBroker broker, string directory, ILogger logger, CancellationToken ct)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) return false;
        var started = Stopwatch.StartNew();

        // First pass checks the whole file, so a damaged snapshot fails before anything reaches the broker.
        var plan = Validate(path, ct);
        foreach (var topic in plan.Topics)
            broker.CreateTopic(topic.Name, topic.Partitions, topic.ReplicationFactor);

        var translated = new List<TopicPartitionOffset>();
        var restoredGroupOffsets = new Dictionary<string, List<TopicPartitionOffset>>(StringComparer.Ordinal);
        using (var producer = KafkaClients.BuildProducer(ProducerConfig(broker.BootstrapServers, plan.LargestRecordBytes)))
        {
            RequireEmpty(broker.BootstrapServers, plan, path);
            // Learn every topic's leaders before producing: records for a topic the producer has not seen yet wait about
            // a second for its first metadata (measured: flush 1 s without this, 40 ms with it).
            using (var metadata = new DependentAdminClientBuilder(producer.Handle).Build()) metadata.GetMetadata(RequestTimeout);
            var delivery = new DeliveryTracker();
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
            using var reader = new EmbeddedBrokerSnapshotFormat.Reader(file, path);
            reader.ReadHeader();
            SnapshotPartition? current = null;
            var originalOffsets = new List<long>();
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                delivery.ThrowIfFailed();
                var tag = reader.ReadTag();
                if (tag == EmbeddedBrokerSnapshotFormat.EndTag) break;
                switch (tag)
                {
                    case EmbeddedBrokerSnapshotFormat.GroupTag: reader.ReadGroupOffset(); break;
                    case EmbeddedBrokerSnapshotFormat.TopicTag: reader.ReadTopic(); break;
                    case EmbeddedBrokerSnapshotFormat.PartitionTag:
                        current = reader.ReadPartition();
                        originalOffsets.Clear();
                        break;
                    case EmbeddedBrokerSnapshotFormat.RecordTag:
                        var record = reader.ReadRecord();
                        Produce(producer, new TopicPartition(current!.Topic, new Partition(current.Partition)), record, originalOffsets.Count, delivery);
                        originalOffsets.Add(record.Offset);
                        break;
                    case EmbeddedBrokerSnapshotFormat.PartitionEndTag:
                        reader.ReadCount();
                        foreach (var offset in plan.GroupOffsets.Where(o => o.Topic == current!.Topic && o.Partition == current.Partition))
                        {
                            // The committed offset points at the first record at or after it; that record's new offset is its index.
                            var index = originalOffsets.BinarySearch(offset.Offset);
                            var moved = index >= 0 ? index : ~index;
                            var tpo = new TopicPartitionOffset(offset.Topic, new Partition(offset.Partition), new Offset(Math.Clamp(moved, 0, originalOffsets.Count)));
                            if (!restoredGroupOffsets.TryGetValue(offset.Group, out var list)) restoredGroupOffsets[offset.Group] = list = [];
                            list.Add(tpo);
                            translated.Add(tpo);
                        }
                        current = null;
                        break;
                }
            }
            producer.Flush(ct);
            delivery.ThrowIfFailed();
            if (delivery.Delivered != plan.TotalRecords)
                throw new InvalidOperationException($"Restoring the embedded broker delivered {delivery.Delivered} of {plan.TotalRecords} records.");
        }
        WarnIfTrimmed(broker.BootstrapServers, plan, logger);

        foreach (var (group, offsets) in restoredGroupOffsets)
            CommitGroup(broker.BootstrapServers, group, offsets);
        foreach (var offset in plan.GroupOffsets.Where(o => !plan.Topics.Any(t => t.Name == o.Topic && o.Partition < t.Partitions)))
            logger.LogWarning("Embedded broker snapshot: group {Group} had offset {Offset} committed for {Topic}[{Partition}], which the snapshot does not hold; not restored",
                offset.Group, offset.Offset, offset.Topic, offset.Partition);

        File.Move(path, Path.Combine(directory, RestoredFileName), overwrite: true);
        logger.LogInformation("Restored the embedded Kafka broker from {Path} (saved {SavedAt:u}): {Topics} topics, {Records} records, {Offsets} committed offsets of {Groups} groups in {Elapsed} ms",
            path, plan.SavedAt, plan.Topics.Count, plan.TotalRecords, translated.Count, restoredGroupOffsets.Count, started.ElapsedMilliseconds);
        return true;
    }

    private sealed record RestorePlan(DateTimeOffset SavedAt, List<SnapshotTopic> Topics, List<SnapshotGroupOffset> GroupOffsets, long TotalRecords, int LargestRecordBytes);

    private static RestorePlan Validate(string path, CancellationToken ct)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        using var reader = new EmbeddedBrokerSnapshotFormat.Reader(file, path);
        var savedAt = reader.ReadHeader();
        var topics = new List<SnapshotTopic>();
        var groupOffsets = new List<SnapshotGroupOffset>();
        var seenPartitions = new HashSet<(string, int)>();
        SnapshotPartition? current = null;
        long inPartition = 0, total = 0, lastOffset = -1;
        var largest = 0;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var tag = reader.ReadTag();
            switch (tag)
            {
                case EmbeddedBrokerSnapshotFormat.GroupTag when topics.Count == 0 && current is null && total == 0 && seenPartitions.Count == 0:
                    groupOffsets.Add(reader.ReadGroupOffset());
                    break;
                case EmbeddedBrokerSnapshotFormat.TopicTag when current is null && seenPartitions.Count == 0:
                    var topic = reader.ReadTopic();
                    if (topics.Any(t => t.Name == topic.Name)) throw reader.Damaged($"topic '{topic.Name}' appears twice");
                    topics.Add(topic);
                    break;
                case EmbeddedBrokerSnapshotFormat.PartitionTag when current is null:
                    current = reader.ReadPartition();
                    var known = topics.FirstOrDefault(t => t.Name == current.Topic);
                    if (known is null || current.Partition < 0 || current.Partition >= known.Partitions)
                        throw reader.Damaged($"it holds records for {current.Topic}[{current.Partition}], a partition its topic list lacks");
                    if (!seenPartitions.Add((current.Topic, current.Partition)))
                        throw reader.Damaged($"{current.Topic}[{current.Partition}] appears twice");
                    inPartition = 0;
                    lastOffset = -1;
                    break;
                case EmbeddedBrokerSnapshotFormat.RecordTag when current is not null:
                    var record = reader.ReadRecord();
                    if (record.Offset <= lastOffset) throw reader.Damaged($"{current.Topic}[{current.Partition}] has offset {record.Offset} after {lastOffset}");
                    lastOffset = record.Offset;
                    var size = (record.Key?.Length ?? 0) + (record.Value?.Length ?? 0) + record.Headers.Sum(h => h.Key.Length + (h.Value?.Length ?? 0));
                    largest = Math.Max(largest, size);
                    inPartition++;
                    break;
                case EmbeddedBrokerSnapshotFormat.PartitionEndTag when current is not null:
                    var count = reader.ReadCount();
                    if (count != inPartition) throw reader.Damaged($"{current.Topic}[{current.Partition}] announces {count} records but holds {inPartition}");
                    total += inPartition;
                    current = null;
                    break;
                case EmbeddedBrokerSnapshotFormat.EndTag when current is null:
                    var announced = reader.ReadCount();
                    if (announced != total) throw reader.Damaged($"it announces {announced} records but holds {total}");
                    if (!reader.AtEndOfFile) throw reader.Damaged("there are bytes after its end mark");
                    return new RestorePlan(savedAt, topics, groupOffsets, total, largest);
                default:
                    throw reader.Damaged($"section tag 0x{tag:x2} is unknown or out of place");
            }
        }
    }

    /// <summary>The restore numbers records from 0 and moves committed offsets accordingly, which only holds when
    /// the partitions start empty: a broker already in use is refused rather than mixed.</summary>
    private static void RequireEmpty(string bootstrap, RestorePlan plan, string path)
    {
        using var consumer = KafkaClients.BuildConsumer(ReaderConfig(bootstrap));
        var taken = Watermarks(consumer, PartitionsOf(plan), CancellationToken.None).FirstOrDefault(p => p.EndOffset > 0);
        consumer.Close();
        if (taken is not null)
            throw new InvalidOperationException($"Cannot restore the embedded broker snapshot '{path}': {taken.Topic}[{taken.Partition}] already holds records. " +
                "Restore runs on a freshly started broker, before anything else uses it.");
    }

    /// <summary>The mock keeps at most 5 MiB / 100 000 batches per partition and drops the oldest batch beyond that; a
    /// partition restored right at that limit can lose its first records again. Worth a warning, not a failed start.</summary>
    private static void WarnIfTrimmed(string bootstrap, RestorePlan plan, ILogger logger)
    {
        using var consumer = KafkaClients.BuildConsumer(ReaderConfig(bootstrap));
        foreach (var partition in Watermarks(consumer, PartitionsOf(plan), CancellationToken.None).Where(p => p.LogStartOffset > 0))
            logger.LogWarning("Embedded broker restore: {Topic}[{Partition}] exceeded the embedded broker's per-partition limit; its first {Dropped} records were dropped again",
                partition.Topic, partition.Partition, partition.LogStartOffset);
        consumer.Close();
    }

    private static List<TopicPartition> PartitionsOf(RestorePlan plan) =>
        plan.Topics.SelectMany(t => Enumerable.Range(0, t.Partitions).Select(p => new TopicPartition(t.Name, new Partition(p)))).ToList();

    private static void Produce(IProducer<byte[]?, byte[]?> producer, TopicPartition partition, SnapshotRecord record, long expectedOffset, DeliveryTracker delivery)
    {
        var message = new Message<byte[]?, byte[]?>
        {
            Key = record.Key,
            Value = record.Value,
            // The producer only sets create time; a log-append time is carried over as create time.
            Timestamp = (TimestampType)record.TimestampType == TimestampType.NotAvailable
                ? Timestamp.Default
                : new Timestamp(record.TimestampMs, TimestampType.CreateTime),
        };
        if (record.Headers.Count > 0)
        {
            message.Headers = new Headers();
            foreach (var (name, value) in record.Headers) message.Headers.Add(name, value);
        }
        while (true)
        {
            try
            {
                producer.Produce(partition, message, report => delivery.OnDelivered(report, expectedOffset));
                return;
            }
            catch (ProduceException<byte[]?, byte[]?> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                // The local queue is full: let some of it drain.
                producer.Flush(TimeSpan.FromMilliseconds(100));
                delivery.ThrowIfFailed();
            }
        }
    }

    private static void CommitGroup(string bootstrap, string group, List<TopicPartitionOffset> offsets)
    {
        using var consumer = KafkaClients.BuildConsumer(GroupConfig(bootstrap, group));
        try
        {
            // Not a group member: the broker takes explicit commits from a client outside the (empty) group.
            consumer.Commit(offsets);
            var committed = consumer.Committed(offsets.Select(o => o.TopicPartition), RequestTimeout);
            var wrong = offsets.Where(o => committed.FirstOrDefault(c => c.TopicPartition == o.TopicPartition)?.Offset != o.Offset).ToList();
            if (wrong.Count > 0)
                throw new InvalidOperationException($"Restoring consumer group '{group}': the broker did not keep the committed offsets for {string.Join(", ", wrong)}.");
        }
        finally
        {
            consumer.Close();
        }
    }

    private sealed class DeliveryTracker
    {
        private long _delivered;
        private string? _failure;

        public long Delivered => Interlocked.Read(ref _delivered);

        public void OnDelivered(DeliveryReport<byte[]?, byte[]?> report, long expectedOffset)
        {
            if (report.Error.IsError)
                Interlocked.CompareExchange(ref _failure, $"{report.TopicPartition}: {report.Error.Reason} ({report.Error.Code})", null);
            else if (report.Offset.Value != expectedOffset)
                Interlocked.CompareExchange(ref _failure, $"{report.TopicPartition}: record landed at offset {report.Offset.Value}, expected {expectedOffset}", null);
            else
                Interlocked.Increment(ref _delivered);
        }

        public void ThrowIfFailed()
        {
            var failure = Volatile.Read(ref _failure);
            if (failure is not null) throw new InvalidOperationException("Restoring the embedded broker snapshot failed: " + failure);
        }
    }

    private static Dictionary<string, string> ReaderConfig(string bootstrap) => new()
    {
        ["bootstrap.servers"] = bootstrap,
        // Required by the client; this consumer only uses assign() and never joins or commits.
        ["group.id"] = "orleansconnect-snapshot-" + Guid.NewGuid().ToString("N"),
        ["enable.auto.commit"] = "false",
        ["enable.auto.offset.store"] = "false",
        ["enable.partition.eof"] = "true",
        ["isolation.level"] = "read_committed",
        ["auto.offset.reset"] = "earliest",
        // The save reads what is already there: a fetch that finds a partition at its end should answer at once,
        // not hold the reader for the default 500 ms.
        ["fetch.wait.max.ms"] = "10",
        ["fetch.error.backoff.ms"] = "50",
        ["log_level"] = "3",
    };

    private static Dictionary<string, string> GroupConfig(string bootstrap, string group) => new()
    {
        ["bootstrap.servers"] = bootstrap,
        ["group.id"] = group,
        ["enable.auto.commit"] = "false",
        ["enable.auto.offset.store"] = "false",
        ["log_level"] = "3",
    };

    private static Dictionary<string, string> ProducerConfig(string bootstrap, int largestRecordBytes) => new()
    {
        ["bootstrap.servers"] = bootstrap,
        // Idempotence keeps each partition's order through retries, so offsets come out 0, 1, 2, … as in the file.
        ["enable.idempotence"] = "true",
        ["acks"] = "all",
        ["linger.ms"] = "5",
        ["message.max.bytes"] = Math.Clamp(largestRecordBytes + (64 << 10), 1_000_000, 1_000_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["log_level"] = "3",
    };

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
