using System.Globalization;
using OrleansConnect.EmbeddedLog;

// Usage: OrleansConnect.EmbeddedLog --repo DIR [--topics N] [--records N] [--rate N] [--saves N] [--interval-ms N]
//        [--lines N] [--line-rate N] [--stream-seconds N] [--silo-dll PATH] [--only cost|crash] [--keep]
EmbeddedLogOptions options;
try
{
    options = EmbeddedLogOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};

var workDir = Directory.CreateTempSubdirectory("orleansconnect-embedded-log-").FullName;
var succeeded = false;
try
{
    var benchmark = new EmbeddedLogBenchmark(options, workDir, Console.Out);
    var report = new List<string>();
    if (options.Only is null or "cost") report.Add(await benchmark.SaveCostAsync(cancellation.Token));
    if (options.Only is null or "crash") report.Add(await benchmark.KillAndRestartAsync(cancellation.Token));
    Console.WriteLine();
    foreach (var part in report) Console.WriteLine(part);
    succeeded = true;
    return 0;
}
catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
{
    Console.Error.WriteLine($"Cancelled; files kept in {workDir}");
    return 130;
}
catch (Exception e)
{
    Console.Error.WriteLine($"Benchmark failed: {e}");
    Console.Error.WriteLine($"Logs and files kept in {workDir}");
    return 1;
}
finally
{
    if (succeeded && !options.Keep) Directory.Delete(workDir, recursive: true);
    else if (succeeded) Console.WriteLine($"Files kept in {workDir}");
}

public sealed record EmbeddedLogOptions(string Repo, int Topics, int Records, int Rate, int Saves, int IntervalMs,
    int Lines, int LineRate, int StreamSeconds, string? SiloDllPath, string? Only, bool Keep)
{
    public string SiloDll => SiloDllPath ?? Path.Combine(Repo, "Silo/bin/Release/net10.0/OrleansConnect.Silo.dll");

    public static EmbeddedLogOptions Parse(string[] args)
    {
        string? repo = null, siloDll = null, only = null;
        int topics = 100, records = 1_000, rate = 5_000, saves = 20, intervalMs = 5_000, lines = 20_000, lineRate = 1_000, streamSeconds = 10;
        var keep = false;
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int Count(string name, int min)
            {
                var text = Value().Replace("_", "").Replace(",", "");
                return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min
                    ? n : throw new ArgumentException($"{name} must be an integer of at least {min}, not '{text}'.");
            }
            switch (args[i])
            {
                case "--repo": repo = Value(); break;
                case "--topics": topics = Count("--topics", 1); break;
                case "--records": records = Count("--records", 0); break;
                case "--rate": rate = Count("--rate", 0); break;
                case "--saves": saves = Count("--saves", 1); break;
                case "--interval-ms": intervalMs = Count("--interval-ms", 100); break;
                case "--lines": lines = Count("--lines", 1); break;
                case "--line-rate": lineRate = Count("--line-rate", 20); break;
                case "--stream-seconds": streamSeconds = Count("--stream-seconds", 1); break;
                case "--silo-dll": siloDll = Path.GetFullPath(Value()); break;
                case "--only":
                    only = Value();
                    if (only is not ("cost" or "crash")) throw new ArgumentException("--only takes cost or crash.");
                    break;
                case "--keep": keep = true; break;
                default: throw new ArgumentException($"Unknown option {args[i]}.");
            }
        }
        return new EmbeddedLogOptions(repo ?? throw new ArgumentException("--repo is required."), topics, records, rate, saves, intervalMs,
            lines, lineRate, streamSeconds, siloDll, only, keep);
    }
}
