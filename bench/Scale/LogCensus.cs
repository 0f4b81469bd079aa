using System.Text;

namespace OrleansConnect.Scale;

/// <summary>Counts the log lines that matter at scale, per phase: in the silos' logs (one line per entry: the silo logs
/// with the single-line console format) and in PostgreSQL's. Each look reads only what was appended since the last,
/// up to the last complete line, so the logs are read once however long the run.</summary>
public sealed class LogCensus
{
    /// <summary>What is counted: a label and the text a line must contain.</summary>
    public static readonly (string Label, string Text)[] Patterns =
    [
        ("fail", " fail: "),
        ("crit", " crit: "),
        ("warn", " warn: "),
        ("too many clients", "too many clients"),
        ("PostgresException", "PostgresException"),
        ("NpgsqlException", "NpgsqlException"),
        ("CodecNotFoundException", "CodecNotFoundException"),
        ("TimeoutException", "TimeoutException"),
        ("skipping this commit", "skipping this commit"),
        ("FATAL (PostgreSQL)", "FATAL:"),
        ("ERROR (PostgreSQL)", "ERROR:"),
    ];

    private readonly Dictionary<string, long> _offsets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _failCategories = new(StringComparer.Ordinal);

    public List<(string Phase, Dictionary<string, int> Silos, Dictionary<string, int> Postgres)> Phases { get; } = [];

    /// <summary>Counts what the logs gained since the previous look and files it under <paramref name="phase"/>.</summary>
    public void Take(string phase, IEnumerable<string> siloLogs, string? postgresLog)
    {
        var silos = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var log in siloLogs) Count(log, silos, categories: true);
        var postgres = new Dictionary<string, int>(StringComparer.Ordinal);
        if (postgresLog is not null) Count(postgresLog, postgres, categories: false);
        Phases.Add((phase, silos, postgres));
    }

    /// <summary>The most frequent logger categories of "fail:" lines over the whole run.</summary>
    public string TopFailCategories(int top = 6) => _failCategories.Count == 0 ? "none"
        : string.Join(", ", _failCategories.OrderByDescending(c => c.Value).Take(top).Select(c => $"{c.Key} ×{c.Value}"));

    private void Count(string path, Dictionary<string, int> counts, bool categories)
    {
        foreach (var line in NewLines(path))
        {
            foreach (var (label, text) in Patterns)
                if (line.Contains(text, StringComparison.Ordinal)) counts[label] = counts.GetValueOrDefault(label) + 1;
            if (categories && line.IndexOf(" fail: ", StringComparison.Ordinal) is var at and >= 0)
            {
                // "... fail: Orleans.Runtime.Catalog[100513] message": the category up to its event id.
                var start = at + " fail: ".Length;
                var end = line.IndexOf('[', start);
                var category = end > start ? line[start..end] : "?";
                _failCategories[category] = _failCategories.GetValueOrDefault(category) + 1;
            }
        }
    }

    private List<string> NewLines(string path)
    {
        if (!File.Exists(path)) return [];
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var offset = _offsets.GetValueOrDefault(path);
        if (stream.Length < offset) offset = 0; // rotated or recreated
        stream.Seek(offset, SeekOrigin.Begin);
        var bytes = new byte[stream.Length - offset];
        stream.ReadExactly(bytes);
        var complete = Array.LastIndexOf(bytes, (byte)'\n') + 1;
        _offsets[path] = offset + complete;
        return Encoding.UTF8.GetString(bytes, 0, complete).Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }
}
