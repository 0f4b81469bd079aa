using System.Globalization;

namespace OrleansConnect.Throughput;

/// <summary>One measured stage; <see cref="Baseline"/> is the kcat stage it is compared with (none for kcat);
/// <see cref="FirstOutput"/>, when known, is when the first line came out (start-up latency within the stage).</summary>
public sealed record StageResult(string Stage, long Lines, TimeSpan Elapsed, StageResult? Baseline, TimeSpan? FirstOutput = null)
{
    public double LinesPerSecond => Lines / Elapsed.TotalSeconds;
    public double RatioToKcat => Baseline is null ? 1.0 : LinesPerSecond / Baseline.LinesPerSecond;
}

public static class ResultTable
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string Format(IReadOnlyList<StageResult> results)
    {
        var rows = new List<string[]> { new[] { "stage", "lines", "seconds", "lines/s", "ratio to kcat", "first line after (s)" } };
        rows.AddRange(results.Select(r => new[]
        {
            r.Stage,
            r.Lines.ToString("N0", Invariant),
            r.Elapsed.TotalSeconds.ToString("0.000", Invariant),
            r.LinesPerSecond.ToString("N0", Invariant),
            r.RatioToKcat.ToString("0.000", Invariant),
            r.FirstOutput is { } first ? first.TotalSeconds.ToString("0.000", Invariant) : "",
        }));
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(row => row[c].Length)).ToArray();
        var lines = rows.Select(row => string.Join("  ", row.Select((cell, c) => c == 0 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c])))).ToList();
        lines.Insert(1, new string('-', lines[0].Length));
        return string.Join(Environment.NewLine, lines);
    }

    public static string Bytes(long bytes) => bytes switch
    {
        >= 1 << 20 => (bytes / 1048576.0).ToString("0.00", Invariant) + " MiB",
        >= 1 << 10 => (bytes / 1024.0).ToString("0.0", Invariant) + " KiB",
        _ => bytes.ToString(Invariant) + " B",
    };
}
