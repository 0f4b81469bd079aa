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

    private readonly Lock _gate = new();
    private readonly Dictionary<IReadOnlyDictionary<string, object?>, Queue<Entry>> _byPartition = new(new SourcePartitionComparer());
    private IReadOnlyDictionary<string, object?>? _lastPartition;
    private Queue<Entry>? _lastQueue;

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
                if (!_byPartition.TryGetValue(partition, out var found)) _byPartition[partition] = found = new Queue<Entry>();
                (_lastPartition, _lastQueue) = (partition, found);
            }
            _lastQueue!.Enqueue(entry);
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
            foreach (var (partition, queue) in _byPartition)
            {
                IReadOnlyDictionary<string, object?>? last = null;
                while (queue.TryPeek(out var head) && head.Acked)
                {
                    last = queue.Dequeue().Offset;
                    records++;
                }
                if (last is not null) result.Add(new(partition, last));
            }
        }
        return result;
    }

    /// <summary>Records submitted whose offsets cannot be committed yet (not acknowledged, or behind one that is not).</summary>
    public int Pending
    {
        get
        {
            lock (_gate) return _byPartition.Values.Sum(q => q.Count);
        }
    }
}
