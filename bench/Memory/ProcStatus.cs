using System.Globalization;

namespace OrleansConnect.Memory;

/// <summary>One sample of a process's resident memory and threads, read from /proc (Linux only).</summary>
public sealed record ProcSample(long RssKiB, int Threads, int LibrdkafkaThreads)
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
}
