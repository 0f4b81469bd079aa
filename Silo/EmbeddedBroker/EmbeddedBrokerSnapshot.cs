using Microsoft.Extensions.Logging;

using OrleansConnect.Grains.Kafka;

namespace OrleansConnect.Silo.EmbeddedBroker;

/// <summary>The previous format of the embedded broker's persistence: one file, <c>data.dir/embedded-kafka.snapshot</c>,
/// written whole at clean stops only (<see cref="EmbeddedBrokerSnapshotFormat"/>). A start that finds one converts it into
/// the log (<see cref="EmbeddedBrokerLog"/>) and removes it, so an upgrade keeps what the last clean stop saved. The
/// snapshot's offsets are kept as they were; the log's restore then renumbers them as for any log.</summary>
public static class EmbeddedBrokerSnapshot
{
    public const string FileName = "embedded-kafka.snapshot";
    public const string TemporaryFileName = FileName + ".tmp";
    /// <summary>Where the previous version set a snapshot aside after restoring it; it describes a state long gone.</summary>
    public const string RestoredFileName = FileName + ".restored";

    /// <summary>Writes the snapshot in <paramref name="directory"/> as the log at <paramref name="logPath"/> (through a
    /// temporary file and a rename), then removes the snapshot. A damaged snapshot is an <see cref="InvalidDataException"/>
    /// and stays where it is, as does any log.</summary>
    internal static void ConvertToLog(string directory, string logPath, ILogger logger, CancellationToken ct)
    {
        var path = Path.Combine(directory, FileName);
        var plan = Validate(path, ct);
        EmbeddedBrokerLog.WriteAtomically(logPath, frames =>
        {
            foreach (var topic in plan.Topics) frames.WriteTopic(topic);
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
            using var reader = new EmbeddedBrokerSnapshotFormat.Reader(file, path);
            reader.ReadHeader();
            SnapshotPartition? current = null;
            var batch = new List<SnapshotRecord>();
            long batchBytes = 0;
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                var tag = reader.ReadTag();
                if (tag == EmbeddedBrokerSnapshotFormat.EndTag) break;
                switch (tag)
                {
                    case EmbeddedBrokerSnapshotFormat.GroupTag: reader.ReadGroupOffset(); break;
                    case EmbeddedBrokerSnapshotFormat.TopicTag: reader.ReadTopic(); break;
                    case EmbeddedBrokerSnapshotFormat.PartitionTag:
                        current = reader.ReadPartition();
                        break;
                    case EmbeddedBrokerSnapshotFormat.RecordTag:
                        var record = reader.ReadRecord();
                        batch.Add(record);
                        batchBytes += 64 + (record.Key?.Length ?? 0) + (record.Value?.Length ?? 0);
                        if (batchBytes >= EmbeddedBrokerLogFormat.BatchTargetBytes)
                        {
                            frames.WriteBatch(current!.Topic, current.Partition, record.Offset + 1, batch);
                            batch.Clear();
                            batchBytes = 0;
                        }
                        break;
                    case EmbeddedBrokerSnapshotFormat.PartitionEndTag:
                        reader.ReadCount();
                        if (batch.Count > 0 || current!.EndOffset > current.LogStartOffset)
                            frames.WriteBatch(current!.Topic, current.Partition, current.EndOffset, batch);
                        if (current.LogStartOffset > 0) frames.WriteExtent(current.Topic, current.Partition, current.LogStartOffset, current.EndOffset);
                        batch.Clear();
                        batchBytes = 0;
                        current = null;
                        break;
                }
            }
            foreach (var offset in plan.GroupOffsets) frames.WriteGroup(offset);
        });
        File.Delete(path);
        logger.LogInformation("Converted the embedded broker snapshot {Path} (saved {SavedAt:u}) into {Log}: {Topics} topics, {Records} records, {Offsets} committed offsets",
            path, plan.SavedAt, logPath, plan.Topics.Count, plan.TotalRecords, plan.GroupOffsets.Count);
    }

    /// <summary>Removes what the previous version could leave beside its snapshot: a save cut short, a restored snapshot.</summary>
    internal static void DeleteLeftovers(string directory)
    {
        EmbeddedBrokerLog.TryDelete(Path.Combine(directory, TemporaryFileName));
        EmbeddedBrokerLog.TryDelete(Path.Combine(directory, RestoredFileName));
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

}
