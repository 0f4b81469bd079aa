using System.Runtime.InteropServices;

namespace OrleansConnect.Grains.Worker;

/// <summary>How many task loops this silo runs at most (tasks.max.per.silo). A sink task holds its own Kafka consumer
/// (about 6 threads and 15 file descriptors), so a connector with thousands of tasks would exhaust the process's file
/// limit or memory and take the silo down; a task that finds no free slot stays UNASSIGNED with a trace saying why,
/// and starts when its connector reconciles and a slot is free.</summary>
public sealed partial class TaskSlots(int capacity)
{
    // What one task may need at most: descriptors of a consumer and its broker connections, and memory.
    private const int DescriptorsPerTask = 16;
    private const int DescriptorsReserved = 512;
    private const long BytesPerTask = 8L << 20;
    private int _used;

    public int Capacity { get; } = capacity;

    public int Used => Volatile.Read(ref _used);

    public bool TryTake()
    {
        while (true)
        {
            var used = Volatile.Read(ref _used);
            if (used >= Capacity) return false;
            if (Interlocked.CompareExchange(ref _used, used + 1, used) == used) return true;
        }
    }

    public void Release() => Interlocked.Decrement(ref _used);

    /// <summary>The default budget: what the process's open-file limit and the memory available to it allow.</summary>
    public static int DefaultCapacity()
    {
        var byMemory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / BytesPerTask;
        var byFiles = OpenFileLimit() is { } files ? (files - DescriptorsReserved) / DescriptorsPerTask : long.MaxValue;
        return (int)Math.Clamp(Math.Min(byMemory, byFiles), 1, 100_000);
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
