using System.Runtime.InteropServices;

namespace OrleansConnect.Grains.Worker;

/// <summary>How many task loops this silo runs at most (tasks.max.per.silo). A sink task holds its own Kafka consumer
/// (about 6 threads and 15 file descriptors), so a connector with thousands of tasks would exhaust the process's file
/// limit or memory and take the silo down; a task that finds no free slot stays UNASSIGNED with a trace saying why,
/// and starts when its connector reconciles and a slot is free. Set explicitly, the budget counts tasks. Left unset, it
/// is sized from the open-file limit and memory and weighs each task by what it holds: a sink task its consumer, a
/// source task (its producer is shared per silo) little more than its own file or connection, so a silo fits about
/// eight times more idle sources than sinks.</summary>
public sealed partial class TaskSlots
{
    // What one task may need at most, in units of one file descriptor and 512 KiB: a sink's consumer with its broker
    // connections (16 descriptors, 8 MiB), a source's own resources (2 descriptors, 1 MiB).
    private const int SinkWeight = 16;
    private const int SourceWeight = 2;
    private const int DescriptorsReserved = 512;
    private const long BytesPerUnit = 512L << 10;
    private readonly bool _weighted;
    private int _used;
    private int _usedUnits;

    /// <summary>A budget of <paramref name="capacity"/> tasks, whatever their kind (tasks.max.per.silo set).</summary>
    public TaskSlots(int capacity) : this(capacity, weighted: false) { }

    private TaskSlots(int capacity, bool weighted)
    {
        Capacity = capacity;
        _weighted = weighted;
    }

    /// <summary>The budget in tasks (set) or in units (the default).</summary>
    public int Capacity { get; }

    public int Used => Volatile.Read(ref _used);

    /// <summary>What the trace of a task left waiting says the budget is.</summary>
    public string Describe() => _weighted
        ? $"default budget of {Capacity} units (from the open-file limit and memory; a sink task takes {SinkWeight}, a source task {SourceWeight}; " +
          $"set {WorkerConfig.TasksMaxPerSilo} to choose a number of tasks)"
        : $"{WorkerConfig.TasksMaxPerSilo} ({Capacity})";

    public bool TryTake(bool sink)
    {
        var weight = Weight(sink);
        while (true)
        {
            var used = Volatile.Read(ref _usedUnits);
            if (used + weight > Capacity) return false;
            if (Interlocked.CompareExchange(ref _usedUnits, used + weight, used) != used) continue;
            Interlocked.Increment(ref _used);
            return true;
        }
    }

    public void Release(bool sink)
    {
        Interlocked.Add(ref _usedUnits, -Weight(sink));
        Interlocked.Decrement(ref _used);
    }

    private int Weight(bool sink) => !_weighted ? 1 : sink ? SinkWeight : SourceWeight;

    /// <summary>The default budget: what the process's open-file limit and the memory available to it allow.</summary>
    public static TaskSlots Default()
    {
        var byMemory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / BytesPerUnit;
        var byFiles = OpenFileLimit() is { } files ? files - DescriptorsReserved : long.MaxValue;
        return new TaskSlots((int)Math.Clamp(Math.Min(byMemory, byFiles), SinkWeight, 1_000_000), weighted: true);
    }

    private static long? OpenFileLimit()
    {
        if (!OperatingSystem.IsLinux()) return null;
        return getrlimit(RlimitNoFile, out var limit) == 0 && limit.Current > 0 && limit.Current < long.MaxValue ? (long)limit.Current : null;
    }

    private const int RlimitNoFile = 7;

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getrlimit(int resource, out RLimit limit);
}
