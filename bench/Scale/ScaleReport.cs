using System.Globalization;
using System.Text;
using OrleansConnect.Bench;

namespace OrleansConnect.Scale;

public sealed record CreateFigures(int Requested, int Attempted, int Created, int CreatedByFailedAttempt, int NotCreated, Outcomes First,
    Outcomes Retries, IReadOnlyCollection<double> Latencies, TimeSpan LastCreate, bool DeadlineHit)
{
    /// <summary>Connectors created per second, from the first request to the last successful answer.</summary>
    public double Rate => LastCreate > TimeSpan.Zero ? Created / LastCreate.TotalSeconds : 0;
}

/// <param name="AfterLastCreate">From the last create's answer until a look saw every task RUNNING; null when the
/// deadline came first.</param>
public sealed record StartFigures(TimeSpan? AfterLastCreate, string Method, string States, Dictionary<string, int> Placement, int Looks, TimeSpan LastLookTook);

public sealed record LatencyFigures(string Endpoint, int Clients, IReadOnlyCollection<double> Timings, Outcomes Outcomes, TimeSpan Elapsed)
{
    public double RequestsPerSecond => Timings.Count / Elapsed.TotalSeconds;
}

/// <param name="AllRunning">From the kill until a look at the survivors saw every task RUNNING, none on the victim.</param>
/// <param name="OrphansRunning">Until the victim's own tasks were RUNNING elsewhere (at most <paramref name="AllRunning"/>).</param>
public sealed record FailoverFigures(string Victim, int Tasks, TimeSpan? AllRunning, TimeSpan? OrphansRunning, string States,
    Dictionary<string, int> Placement, string Method, int Looks, TimeSpan LastLookTook);

/// <summary>Everything one run measured, filled phase by phase: a run cut short (deadline, error, Ctrl-C) still prints
/// what it got.</summary>
public sealed class ScaleReport
{
    public string Setup { get; set; } = "";
    public List<string> WorkerIds { get; } = [];
    public int Connectors { get; set; }
    public int PgMaxConnections { get; set; }
    public IdleFigures? IdleEmpty { get; set; }
    public IdleFigures? IdleLoaded { get; set; }
    public Dictionary<string, int>? IdlePlacement { get; set; }
    public CreateFigures? Create { get; set; }
    public StartFigures? Start { get; set; }
    public List<LatencyFigures> Latency { get; } = [];
    public FailoverFigures? Failover { get; set; }
    public string? FailoverSkipped { get; set; }
    public List<string> Unfinished { get; } = [];

    public string Format(LogCensus census, PostgresMonitor? monitor)
    {
        var rows = new List<(string Measure, string Value, string Goal)>();
        void Row(string measure, string value, string goal = "") => rows.Add((measure, value, goal));

        if (Create is { } c)
        {
            Row("create: connectors created", $"{c.Created} of {c.Requested}" + (c.CreatedByFailedAttempt > 0 ? $" ({c.CreatedByFailedAttempt} by an attempt that failed: its retry got 409)" : "") +
                (c.NotCreated > 0 ? $"; {c.NotCreated} not created" : "") + (c.Requested > c.Attempted ? $"; {c.Requested - c.Attempted} not attempted (deadline)" : ""));
            Row("create: rate", $"{F(c.Rate, "0.0")} /s ({F(c.LastCreate.TotalSeconds, "0.0")} s to the last)", ">= 100 /s, 16 clients");
            Row("create: non-2xx answers, first attempts", c.First.Failures(), "none");
            Row("create: answers to retries", c.Retries.Total == 0 ? "none (no retry)" : c.Retries.ToString());
            Row("create: POST latency p50 / p99 / max ms", c.Latencies.Count == 0 ? "-" : $"{Ms(c.Latencies, 50)} / {Ms(c.Latencies, 99)} / {F(c.Latencies.Max(), "0")}");
        }
        if (Start is { } s)
        {
            Row("start: last create → every task RUNNING", (s.AfterLastCreate is { } t ? $"{F(t.TotalSeconds, "0.0")} s" : "NOT within the deadline") +
                $" ({s.Method}; {s.Looks} looks, the last took {F(s.LastLookTook.TotalSeconds, "0.00")} s)", "< 60 s");
            Row("start: task states at the end", s.States);
            Row("start: RUNNING tasks per silo", Spread(s.Placement, WorkerIds), "within ±10 %");
        }
        if (IdleEmpty is { } e0) Idle("no connectors", e0);
        if (IdleLoaded is { } e1) Idle($"{Connectors} connectors", e1);
        if (IdleEmpty is { } before && IdleLoaded is { } after)
        {
            var perSilo = WorkerIds.Select((w, i) =>
            {
                var tasks = IdlePlacement?.GetValueOrDefault(w) ?? 0;
                return before.Silos[i].RssKiB is { } b && after.Silos[i].RssKiB is { } a && tasks > 0 ? F((a - b) / (double)tasks, "0") : "-";
            });
            var deltas = WorkerIds.Select((_, i) => after.Silos[i].RssKiB - before.Silos[i].RssKiB).ToList();
            var total = deltas.All(d => d is not null) && Connectors > 0 ? F(deltas.Sum(d => d!.Value) / (double)Connectors, "0") : "-";
            Row("memory: KiB per connector+task", $"{total} over the cluster; per silo by its tasks: {string.Join(" / ", perSilo)}", "<= 200 KiB");
        }
        foreach (var l in Latency)
        {
            var goal = l.Clients == 8 ? (l.Endpoint.Contains("expand", StringComparison.Ordinal) ? "p99 < 100 ms" : "p99 < 20 ms") : "";
            Row($"REST: {l.Endpoint}, {l.Clients} client{(l.Clients == 1 ? "" : "s")}",
                (l.Timings.Count == 0 ? "no 2xx answer" : $"p50 {Ms(l.Timings, 50)} / p99 {Ms(l.Timings, 99)} / max {F(l.Timings.Max(), "0")} ms, {F(l.RequestsPerSecond, "0.0")} req/s, {l.Timings.Count} answers") +
                (l.Outcomes.NotOk > 0 ? $"; not 2xx: {l.Outcomes.Failures()}" : ""), goal);
        }
        if (Failover is { } f)
        {
            Row($"failover: kill -9 of the busiest silo", $"{f.Victim}, holding {f.Tasks} tasks");
            Row("failover: → every task RUNNING on the survivors", (f.AllRunning is { } a ? $"{F(a.TotalSeconds, "0.0")} s" : "NOT within the deadline") +
                (f.OrphansRunning is { } o ? $" (its own tasks: {F(o.TotalSeconds, "0.0")} s)" : "") + $" ({f.Method}; {f.Looks} looks, the last took {F(f.LastLookTook.TotalSeconds, "0.00")} s)",
                "<= 30 s, goal 10 s");
            Row("failover: task states at the end", f.States);
            Row("failover: RUNNING tasks per survivor", Spread(f.Placement, WorkerIds.Where(w => w != f.Victim).ToList()));
        }
        else if (FailoverSkipped is not null) Row("failover", FailoverSkipped);
        Row("logs: silo fail: lines by category (whole run)", census.TopFailCategories());
        if (monitor is { Failures: > 0 }) Row("bench: failed PostgreSQL statistics queries", monitor.Failures.ToString(CultureInfo.InvariantCulture));
        Row("not finished", Unfinished.Count == 0 ? "none: every phase finished" : string.Join("; ", Unfinished));

        var text = new StringBuilder();
        text.AppendLine(Setup);
        var width = Math.Max(44, rows.Max(r => r.Measure.Length));
        var valueWidth = Math.Min(90, rows.Max(r => r.Value.Length));
        var header = $"{"measure".PadRight(width)}  {"value".PadRight(valueWidth)}  issue 18 goal";
        text.AppendLine(header).AppendLine(new string('-', header.Length + 8));
        foreach (var (measure, value, goal) in rows) text.AppendLine($"{measure.PadRight(width)}  {value.PadRight(valueWidth)}  {goal}".TrimEnd());
        text.AppendLine();
        text.Append(FormatCensus(census, monitor));
        return text.ToString();

        void Idle(string label, IdleFigures i)
        {
            Row($"idle, {label}: PostgreSQL transactions/s", (i.PgTransactionsPerSecond is { } tps ? F(tps, "0.0") : "-") + $" (over {F(i.Window.TotalSeconds, "0")} s)",
                label == "no connectors" ? "" : "<= 50 at 10,000 connectors");
            Row($"idle, {label}: PostgreSQL connections", $"max {N(i.PgConnectionsMax)}, median {N(i.PgConnectionsMedian)}, to the silos' database {N(i.PgConnectionsInDatabase)} (max_connections {PgMaxConnections})",
                label == "no connectors" ? "" : "3 silos' caps fit 100 with room");
            Row($"idle, {label}: silo CPU, % of one core", string.Join(" / ", i.Silos.Select(x => x.CpuPercent is { } p ? F(p, "0.0") : "-")), label == "no connectors" ? "" : "near idle");
            Row($"idle, {label}: load average 1/5/15, machine busy", $"{i.LoadAverage}; {F(i.MachineBusyPercent, "0")} % of all cores");
            Row($"idle, {label}: VmRSS MiB per silo (median)", string.Join(" / ", i.Silos.Select(x => IdleFigures.MiB(x.RssKiB))));
        }
    }

    /// <summary>RUNNING tasks per worker in silo order, and how far the fullest or emptiest is from the mean.</summary>
    private static string Spread(Dictionary<string, int> placement, IReadOnlyList<string> workers)
    {
        var counts = workers.Select(w => placement.GetValueOrDefault(w)).ToList();
        var mean = counts.Count == 0 ? 0 : counts.Average();
        var deviation = mean > 0 ? counts.Max(n => Math.Abs(n - mean)) / mean * 100 : 0;
        var elsewhere = placement.Where(p => !workers.Contains(p.Key)).Sum(p => p.Value);
        return string.Join(" / ", counts) + $" (largest deviation from the mean {F(deviation, "0.0")} %)" +
            (elsewhere > 0 ? $"; {elsewhere} on another worker_id" : "");
    }

    private static string FormatCensus(LogCensus census, PostgresMonitor? monitor)
    {
        string[] siloColumns = ["fail", "warn", "crit", "too many clients", "PostgresException", "NpgsqlException", "CodecNotFoundException", "TimeoutException", "skipping this commit"];
        string[] pgColumns = ["FATAL (PostgreSQL)", "too many clients", "ERROR (PostgreSQL)"];
        var text = new StringBuilder();
        text.AppendLine("Log lines per phase: silo logs (summed over the silos) | PostgreSQL's log | most PostgreSQL connections seen (sampled every 2 s)");
        var header = $"{"phase",-24} " + string.Join(" ", siloColumns.Select(c => Short(c).PadLeft(Math.Max(6, Short(c).Length)))) + " | " +
            string.Join(" ", pgColumns.Select(c => ("pg " + Short(c)).PadLeft(Math.Max(6, Short(c).Length + 3)))) + " | max conns";
        text.AppendLine(header).AppendLine(new string('-', header.Length));
        foreach (var (phase, silos, postgres) in census.Phases)
        {
            text.AppendLine($"{phase,-24} " + string.Join(" ", siloColumns.Select(c => silos.GetValueOrDefault(c).ToString(CultureInfo.InvariantCulture).PadLeft(Math.Max(6, Short(c).Length)))) + " | " +
                string.Join(" ", pgColumns.Select(c => postgres.GetValueOrDefault(c).ToString(CultureInfo.InvariantCulture).PadLeft(Math.Max(6, Short(c).Length + 3)))) +
                $" | {N(monitor?.MaxConnections(phase)),9}");
        }
        return text.ToString();

        static string Short(string column) => column switch
        {
            "too many clients" => "too-many",
            "PostgresException" => "PgEx",
            "NpgsqlException" => "NpgsqlEx",
            "CodecNotFoundException" => "CodecNF",
            "TimeoutException" => "Timeout",
            "skipping this commit" => "skip-commit",
            "FATAL (PostgreSQL)" => "FATAL",
            "ERROR (PostgreSQL)" => "ERROR",
            _ => column,
        };
    }

    private static string Ms(IReadOnlyCollection<double> values, double percent) => F(SiloBench.Percentile(values, percent), "0.0");

    private static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    private static string N(int? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "-";
}
