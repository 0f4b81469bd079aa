using System.Globalization;
using System.Text;

namespace OrleansConnect.Faults;

/// <summary>One fault's figures: lines lost and duplicated (and torn), how long until every task ran again and the sinks
/// caught up, the REST answers seen while the fault lasted, and notes on what else was seen.</summary>
public sealed class FaultRow(string name)
{
    private readonly List<string> _notes = [];

    public string Name => name;
    public long? Written { get; set; }
    public long? Lost { get; set; }
    public long? Duplicates { get; set; }
    public long? Torn { get; set; }
    public string Running { get; set; } = "";
    public string CaughtUp { get; set; } = "";
    public string Rest { get; set; } = "";
    public int StackTraces { get; set; }
    public string? Skipped { get; set; }
    public string? Error { get; set; }
    public TimeSpan Took { get; set; }
    public IReadOnlyList<string> Notes => _notes;

    public void Note(string note) => _notes.Add(note);

    /// <summary>"2.3 s", or "not within 90 s" when a wait ran out.</summary>
    public static string Seconds(TimeSpan? elapsed, TimeSpan limit) =>
        elapsed is { } e ? e.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s" : $"not within {limit.TotalSeconds:0} s";
}

public static class FaultReport
{
    private static readonly string[] Header = ["fault", "lines written", "lost", "duplicates", "torn", "all tasks RUNNING", "sinks caught up",
        "REST answers during the fault", "bodies with a stack trace"];

    private static string[] Cells(FaultRow row) => row.Skipped is not null || row.Error is not null
        ? [row.Name, "", "", "", "", "", "", row.Skipped is not null ? "skipped" : "error", ""]
        : [row.Name, Count(row.Written), Count(row.Lost), Count(row.Duplicates), Count(row.Torn), row.Running, row.CaughtUp, row.Rest,
            row.StackTraces.ToString(CultureInfo.InvariantCulture)];

    private static string Count(long? n) => n?.ToString("N0", CultureInfo.InvariantCulture) ?? "";

    /// <summary>An aligned text table, then each fault's notes.</summary>
    public static string Text(IReadOnlyList<FaultRow> rows, string setup)
    {
        var table = new List<string[]> { Header };
        table.AddRange(rows.Select(Cells));
        var widths = Enumerable.Range(0, Header.Length).Select(c => table.Max(r => r[c].Length)).ToArray();
        var text = new StringBuilder().AppendLine(setup).AppendLine();
        foreach (var cells in table)
            text.AppendLine(string.Join("  ", cells.Select((cell, c) => c is >= 1 and <= 4 ? cell.PadLeft(widths[c]) : cell.PadRight(widths[c]))).TrimEnd());
        text.AppendLine();
        foreach (var row in rows)
        {
            text.AppendLine($"{row.Name} ({row.Took.TotalSeconds:0} s):");
            foreach (var note in Lines(row)) text.AppendLine("  - " + note);
        }
        return text.ToString();
    }

    public static string Markdown(IReadOnlyList<FaultRow> rows, string setup)
    {
        var text = new StringBuilder().AppendLine("# bench/run-faults.sh").AppendLine().AppendLine(setup).AppendLine();
        text.AppendLine("| " + string.Join(" | ", Header) + " |");
        text.AppendLine("| " + string.Join(" | ", Header.Select((_, c) => c is >= 1 and <= 4 or 8 ? "---:" : "---")) + " |");
        foreach (var row in rows) text.AppendLine("| " + string.Join(" | ", Cells(row).Select(Escape)) + " |");
        text.AppendLine();
        foreach (var row in rows)
        {
            text.AppendLine($"**{row.Name}** ({row.Took.TotalSeconds:0} s):").AppendLine();
            foreach (var note in Lines(row)) text.AppendLine("- " + Escape(note));
            text.AppendLine();
        }
        return text.ToString();
    }

    private static IEnumerable<string> Lines(FaultRow row)
    {
        if (row.Skipped is not null) yield return "skipped: " + row.Skipped;
        if (row.Error is not null) yield return "error: " + row.Error;
        foreach (var note in row.Notes) yield return note;
    }

    private static string Escape(string cell) => cell.Replace("|", "\\|").Replace("\n", " ");
}
