using OrleansConnect.Connect.Source;

namespace OrleansConnect.Grains.Worker;

/// <summary>Source records sent but whose offsets are not committed yet, per source partition in send order.
/// An offset becomes committable only when it and every record before it in its partition are acknowledged,
/// so a commit never skips a record still in flight.</summary>
public sealed class SubmittedRecords
{
    public sealed class Entry(IReadOnlyDictionary<string, object?> offset)
    {
        public IReadOnlyDictionary<string, object?> Offset { get; } = offset;
        private int _acked;
        public bool Acked => Volatile.Read(ref _acked) == 1;
        public void Ack() => Volatile.Write(ref _acked, 1);
    }

    /// <summary>One partition's records in send order, and the offset of the acknowledged prefix already taken off
    /// the queue but not yet committed.</summary>
    private sealed class Partition
    {
        public readonly Queue<Entry> Queue = new();
        public IReadOnlyDictionary<string, object?>? Committable;
        public int CommittableRecords;

        /// <summary>Takes the acknowledged head off the queue, keeping only its last offset: between two commits
        /// (offset.flush.interval.ms, a minute by default) only the records in flight stay, not every record sent.</summary>
        public void Compact()
        {
            while (Queue.TryPeek(out var head) && head.Acked)
            {
                Committable = Queue.Dequeue().Offset;
                CommittableRecords++;
            }
        }
    }

    private readonly Lock _gate = new();
    private readonly Dictionary<IReadOnlyDictionary<string, object?>, Partition> _byPartition = new(new SourcePartitionComparer());
    private IReadOnlyDictionary<string, object?>? _lastPartition;
    private Partition? _last;

    /// <summary>Registers a record about to be sent; returns null for records without partition or offset.</summary>
    public Entry? Submit(IReadOnlyDictionary<string, object?>? partition, IReadOnlyDictionary<string, object?>? offset)
    {
        if (partition is null || offset is null) return null;
        var entry = new Entry(offset);
        lock (_gate)
        {
            // A task usually hands every record of a partition the same map: then skip hashing it (deeply) per record.
            if (!ReferenceEquals(partition, _lastPartition))
            {
                if (!_byPartition.TryGetValue(partition, out var found)) _byPartition[partition] = found = new Partition();
                (_lastPartition, _last) = (partition, found);
            }
            _last!.Compact();
            _last.Queue.Enqueue(entry);
        }
        return entry;
    }

    /// <summary>Removes the acknowledged prefix of every partition and returns the last offset of each prefix;
    /// <paramref name="records"/> is how many records those prefixes held.</summary>
    public List<KeyValuePair<IReadOnlyDictionary<string, object?>, IReadOnlyDictionary<string, object?>?>> TakeCommittable(out int records)
    {
        var result = new List<KeyValuePair<IReadOnlyDictionary<string, object?>, IReadOnlyDictionary<string, object?>?>>();
        records = 0;
        lock (_gate)
        {
            foreach (var (key, partition) in _byPartition)
            {
                partition.Compact();
                if (partition.Committable is null) continue;
                result.Add(new(key, partition.Committable));
                records += partition.CommittableRecords;
                partition.Committable = null;
                partition.CommittableRecords = 0;
            }
        }
        return result;
    }

    /// <summary>Records submitted whose offsets cannot be committed yet (not acknowledged, or behind one that is not).</summary>
    public int Pending
    {
        get
        {
            lock (_gate) return _byPartition.Values.Sum(p => p.Queue.Count);
        }
    }
}
