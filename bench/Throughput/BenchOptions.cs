using System.Globalization;

namespace OrleansConnect.Throughput;

/// <summary>Command line: <c>[lines] [--partitions N] [--line-bytes N] [--poll-ms N] [--repo DIR] [--timeout SECONDS] [--keep]
/// [--metrics on|off] [--scrape-ms N]</c>. With metrics on (the default) the bench scrapes the silo's GET /metrics every
/// --scrape-ms (1000: harsher than Prometheus' usual 15 s); off, the silo runs with metrics.enable=false.</summary>
public sealed record BenchOptions(int Lines, int Partitions, int LineBytes, TimeSpan PollInterval, string RepositoryRoot, TimeSpan StageTimeout, bool KeepWorkDir,
    bool Metrics = true, int ScrapeMs = 1000)
{
    public const int DefaultLines = 1_000_000;

    /// <summary>The embedded broker keeps at most 5 MiB per partition: a million 100-byte lines are ~26 MiB in lz4
    /// batches, so 16 partitions hold ~1.6 MiB each, well under the cap (see README.md).</summary>
    public const int DefaultPartitions = 16;

    public const int DefaultLineBytes = 100;

    public string SiloDll => Path.Combine(RepositoryRoot, "Silo", "bin", "Release", "net10.0", "OrleansConnect.Silo.dll");

    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        int? lines = null;
        var partitions = DefaultPartitions;
        var lineBytes = DefaultLineBytes;
        var pollMs = 5;
        string? repo = null;
        var timeout = TimeSpan.FromSeconds(120);
        var keep = false;
        var metrics = true;
        var scrapeMs = 1000;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            switch (arg)
            {
                case "--partitions": partitions = PositiveInt(arg, Value(args, ref i)); break;
                case "--line-bytes": lineBytes = PositiveInt(arg, Value(args, ref i)); break;
                case "--poll-ms": pollMs = PositiveInt(arg, Value(args, ref i)); break;
                case "--repo": repo = Value(args, ref i); break;
                case "--timeout": timeout = TimeSpan.FromSeconds(PositiveInt(arg, Value(args, ref i))); break;
                case "--keep": keep = true; break;
                case "--metrics":
                    metrics = Value(args, ref i) switch
                    {
                        "on" => true,
                        "off" => false,
                        var other => throw new ArgumentException($"--metrics takes on or off, not '{other}'."),
                    };
                    break;
                case "--scrape-ms": scrapeMs = PositiveInt(arg, Value(args, ref i)); break;
                default:
                    if (arg.StartsWith("--", StringComparison.Ordinal) || lines is not null)
                        throw new ArgumentException($"Unexpected argument '{arg}'. Usage: [lines] [--partitions N] [--line-bytes N] [--poll-ms N] [--repo DIR] [--timeout SECONDS] [--keep] [--metrics on|off] [--scrape-ms N]");
                    // 1,000,000 and 1_000_000 read as one million.
                    lines = PositiveInt("lines", arg.Replace(",", "").Replace("_", ""));
                    break;
            }
        }
        // A line needs room for its sequence number and the newline.
        if (lineBytes < 16) throw new ArgumentException($"--line-bytes must be at least 16, not {lineBytes}.");
        // The 10 % and 90 % marks need enough records between them to mean anything.
        if ((lines ?? DefaultLines) < 100) throw new ArgumentException("lines must be at least 100.");
        return new BenchOptions(lines ?? DefaultLines, partitions, lineBytes, TimeSpan.FromMilliseconds(pollMs),
            Path.GetFullPath(repo ?? FindRepositoryRoot()), timeout, keep, metrics, scrapeMs);
    }

    private static string Value(IReadOnlyList<string> args, ref int i) =>
        ++i < args.Count ? args[i] : throw new ArgumentException($"{args[i - 1]} needs a value.");

    private static int PositiveInt(string name, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new ArgumentException($"{name} must be a positive whole number, not '{text}'.");

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "OrleansConnect.sln"))) return dir.FullName;
        throw new ArgumentException("Could not find OrleansConnect.sln above " + AppContext.BaseDirectory + "; pass --repo.");
    }
}
