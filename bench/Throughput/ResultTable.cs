using System.Globalization;

namespace OrleansConnect.Throughput;

/// <summary>One measured row. <see cref="FirstRecord"/>: from POST /connectors (kcat: process start) to the first record
/// in the topic or file. <see cref="SteadyRate"/>: records/s between the 10 % and 90 % marks. <see cref="Assigned"/>:
/// when the consumer group first assigned partitions (group consumers only). <see cref="Baseline"/>: the kcat row
/// compared with (none for kcat); <see cref="DotNet"/>: the bare .NET client row compared with. kcat and .NET client rows
/// hold the median of each figure over their runs.</summary>
public sealed record StageResult(string Stage, long Records, TimeSpan FirstRecord, double SteadyRate, TimeSpan Total, TimeSpan? Assigned, StageResult? Baseline,
    StageResult? DotNet = null)
{
    public double RatioToKcat => Baseline is null ? 1.0 : SteadyRate / Baseline.SteadyRate;
    public double? RatioToDotNet => DotNet is null ? null : SteadyRate / DotNet.SteadyRate;
    public TimeSpan? FirstAfterAssigned => Assigned is { } a ? FirstRecord - a : null;
}

public static class ResultTable
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string Format(IReadOnlyList<StageResult> results)
    {
        var rows = new List<string[]>
        {
            new[] { "row", "records", "(a) first record s", "(b) records/s 10-90 %", "(b) × kcat", "(b) × .NET client", "group assigned s", "first after assigned s", "total s" },
        };
        rows.AddRange(results.Select(r => new[]
        {
            r.Stage,
            r.Records.ToString("N0", Invariant),
            Seconds(r.FirstRecord),
            double.IsNaN(r.SteadyRate) ? "n/a" : r.SteadyRate.ToString("N0", Invariant),
            r.Baseline is null ? "" : r.RatioToKcat.ToString("0.00", Invariant),
            r.RatioToDotNet is { } dotNet ? dotNet.ToString("0.00", Invariant) : "",
            r.Assigned is { } a ? Seconds(a) : "",
            r.FirstAfterAssigned is { } f ? Seconds(f) : "",
            Seconds(r.Total),
        }));
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(row => row[c].Length)).ToArray();
        var lines = rows.Select(row => string.Join("  ", row.Select((cell, c) => c == 0 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c])))).ToList();
        lines.Insert(1, new string('-', lines[0].Length));
        return string.Join(Environment.NewLine, lines);
    }

    public static string Seconds(TimeSpan time) => time.TotalSeconds.ToString("0.000", Invariant);

    public static string Bytes(long bytes) => bytes switch
    {
        >= 1 << 20 => (bytes / 1048576.0).ToString("0.00", Invariant) + " MiB",
        >= 1 << 10 => (bytes / 1024.0).ToString("0.0", Invariant) + " KiB",
        _ => bytes.ToString(Invariant) + " B",
    };
}
