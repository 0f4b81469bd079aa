using System.Diagnostics;
using System.Globalization;
using OrleansConnect.Bench;

namespace OrleansConnect.Scale;

/// <summary>One silo over an idle window: its median VmRSS and its CPU (utime + stime) as a share of one core.</summary>
public sealed record SiloIdle(string WorkerId, long? RssKiB, double? CpuPercent);

/// <summary>What an idle cluster costs over one window: per silo, and PostgreSQL's transactions and connections.</summary>
public sealed record IdleFigures(IReadOnlyList<SiloIdle> Silos, double? PgTransactionsPerSecond, int? PgConnectionsMax, int? PgConnectionsMedian,
    int? PgConnectionsInDatabase, string LoadAverage, double MachineBusyPercent, TimeSpan Window)
{
    /// <summary>Reads the silos' /proc entries once a second over the window (RSS median: a GC or a timer burst in one
    /// sample does not move it), and the CPU and transaction counters at its two ends.</summary>
    public static async Task<IdleFigures> MeasureAsync(IReadOnlyList<SiloNode> silos, PostgresMonitor postgres, TimeSpan window,
        CancellationToken cancellationToken)
    {
        var cpuBefore = silos.Select(s => s.Pid is { } pid ? ProcSample.CpuTicks(pid) : null).ToArray();
        var machineBefore = ProcSample.MachineTicks();
        var transactionsBefore = await postgres.TransactionsAsync(cancellationToken);
        var clock = Stopwatch.StartNew();

        var rss = silos.Select(_ => new List<long>()).ToArray();
        var connections = new List<PgConnections>();
        while (clock.Elapsed < window)
        {
            for (var i = 0; i < silos.Count; i++)
            {
                try
                {
                    if (silos[i].Pid is { } pid) rss[i].Add(ProcSample.Read(pid).RssKiB);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException) { } // it just exited
            }
            if (await postgres.ConnectionsAsync(cancellationToken) is { } c) connections.Add(c);
            var next = TimeSpan.FromSeconds(Math.Floor(clock.Elapsed.TotalSeconds) + 1);
            if (next > window) next = window;
            await Task.Delay(next - clock.Elapsed > TimeSpan.Zero ? next - clock.Elapsed : TimeSpan.Zero, cancellationToken);
        }

        var transactionsAfter = await postgres.TransactionsAsync(cancellationToken);
        var seconds = clock.Elapsed.TotalSeconds;
        var machineAfter = ProcSample.MachineTicks();
        var cpuAfter = silos.Select(s => s.Pid is { } pid ? ProcSample.CpuTicks(pid) : null).ToArray();

        var perSilo = silos.Select((s, i) => new SiloIdle(s.WorkerId,
            rss[i].Count == 0 ? null : SiloBench.Median(rss[i]),
            cpuBefore[i] is { } b && cpuAfter[i] is { } a ? 100.0 * (a - b) / ProcSample.ClockTicksPerSecond / seconds : null)).ToList();
        var busy = machineAfter.Total > machineBefore.Total
            ? 100.0 * (machineAfter.Busy - machineBefore.Busy) / (machineAfter.Total - machineBefore.Total) : 0;
        return new IdleFigures(perSilo,
            transactionsBefore is { } t0 && transactionsAfter is { } t1 ? (t1 - t0) / seconds : null,
            connections.Count == 0 ? null : connections.Max(c => c.Total),
            connections.Count == 0 ? null : (int)SiloBench.Median(connections.Select(c => (long)c.Total)),
            connections.Count == 0 ? null : connections[^1].InDatabase,
            ReadLoadAverage(), busy, clock.Elapsed);
    }

    /// <summary>The 1, 5 and 15 minute load averages (the whole machine's, not only the bench's).</summary>
    public static string ReadLoadAverage() => string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    public static string MiB(long? kib) => kib is { } k ? (k / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) : "-";
}
