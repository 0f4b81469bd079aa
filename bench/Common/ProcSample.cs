using System.Globalization;
using System.Runtime.InteropServices;

namespace OrleansConnect.Bench;

/// <summary>One sample of a process's resident memory and threads, read from /proc (Linux only); also the CPU time
/// counters the cluster bench turns into idle CPU.</summary>
public sealed partial record ProcSample(long RssKiB, int Threads, int LibrdkafkaThreads)
{
    public static ProcSample Read(int pid)
    {
        long rss = -1;
        var threads = -1;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = ParseKiB(line);
            else if (line.StartsWith("Threads:", StringComparison.Ordinal)) threads = int.Parse(line["Threads:".Length..].Trim(), CultureInfo.InvariantCulture);
        }
        if (rss < 0 || threads < 0) throw new InvalidOperationException($"/proc/{pid}/status has no VmRSS or Threads line.");
        return new ProcSample(rss, threads, CountLibrdkafkaThreads(pid));
    }

    /// <summary>librdkafka names its threads rdk:main, rdk:broker…; everything else is the .NET runtime's.</summary>
    private static int CountLibrdkafkaThreads(int pid)
    {
        var count = 0;
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(task, "comm")).StartsWith("rdk:", StringComparison.Ordinal)) count++;
            }
            catch (IOException) { } // the thread ended between listing and reading
            catch (UnauthorizedAccessException) { }
        }
        return count;
    }

    /// <summary>Thread names (comm, digits folded to #) by count, most common first: who holds the threads.</summary>
    public static string ThreadNames(int pid, int top = 8)
    {
        var names = new Dictionary<string, int>();
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            try
            {
                var name = new string(File.ReadAllText(Path.Combine(task, "comm")).Trim().Select(c => char.IsDigit(c) ? '#' : c).ToArray());
                names[name] = names.GetValueOrDefault(name) + 1;
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return string.Join(", ", names.OrderByDescending(n => n.Value).Take(top).Select(n => $"{n.Key} ×{n.Value}"));
    }

    private static long ParseKiB(string line)
    {
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return long.Parse(parts[1], CultureInfo.InvariantCulture); // "VmRSS:   123456 kB"
    }

    /// <summary>utime + stime of a process (fields 14 and 15 of /proc/&lt;pid&gt;/stat), in clock ticks; null once it exited.
    /// The fields are counted after the last ')', since the command name in parentheses may hold spaces.</summary>
    public static long? CpuTicks(int pid)
    {
        string stat;
        try { stat = File.ReadAllText($"/proc/{pid}/stat"); }
        catch (IOException) { return null; }
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }

    /// <summary>The first line of /proc/stat: (busy, total) clock ticks of all cores since boot. Busy is all but idle
    /// and iowait; the machine's share says whether something else ran during a window.</summary>
    public static (long Busy, long Total) MachineTicks()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        var total = fields.Take(8).Sum(); // user nice system idle iowait irq softirq steal (guest is inside user)
        return (total - fields[3] - fields[4], total);
    }

    /// <summary>The process's start time (field 22 of /proc/&lt;pid&gt;/stat): with the pid, it names one process even
    /// after the pid is reused.</summary>
    public static string? StartTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19];
        }
        catch (IOException) { return null; }
    }

    public static long ClockTicksPerSecond { get; } = sysconf(2); // _SC_CLK_TCK

    [LibraryImport("libc")]
    private static partial long sysconf(int name);
}
