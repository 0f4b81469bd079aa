using System.Globalization;
using OrleansConnect.Shutdown;

// Usage: OrleansConnect.Shutdown --repo DIR [--sources N] [--sinks N] [--lines N] [--stuck N] [--runs N] [--keep]
ShutdownOptions options;
try
{
    options = ShutdownOptions.Parse(args);
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

var workDir = Directory.CreateTempSubdirectory("orleansconnect-shutdown-").FullName;
var succeeded = false;
try
{
    var result = await new ShutdownBenchmark(options, workDir, Console.Out).RunAsync(cancellation.Token);
    Console.WriteLine();
    Console.WriteLine(result);
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

public sealed record ShutdownOptions(string Repo, int Sources, int Sinks, int Lines, int Stuck, int Runs, bool Keep)
{
    public string SiloDll => Path.Combine(Repo, "Silo/bin/Release/net10.0/OrleansConnect.Silo.dll");

    public static ShutdownOptions Parse(string[] args)
    {
        string? repo = null;
        int sources = 50, sinks = 50, lines = 20, stuck = 0, runs = 3;
        var keep = false;
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int Count(string name, int min)
            {
                var text = Value();
                return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min
                    ? n : throw new ArgumentException($"{name} must be an integer of at least {min}, not '{text}'.");
            }
            switch (args[i])
            {
                case "--repo": repo = Value(); break;
                case "--sources": sources = Count("--sources", 1); break;
                case "--sinks": sinks = Count("--sinks", 0); break;
                case "--lines": lines = Count("--lines", 1); break;
                case "--stuck": stuck = Count("--stuck", 0); break;
                case "--runs": runs = Count("--runs", 1); break;
                case "--keep": keep = true; break;
                default: throw new ArgumentException($"Unknown argument '{args[i]}'. Usage: --repo DIR [--sources N] [--sinks N] [--lines N] [--stuck N] [--runs N] [--keep]");
            }
        }
        if (repo is null) throw new ArgumentException("--repo DIR is required (bench/run-shutdown.sh passes it).");
        if (!File.Exists(Path.Combine(repo, "Silo/bin/Release/net10.0/OrleansConnect.Silo.dll")))
            throw new ArgumentException($"The silo is not built under {repo} (bench/run-shutdown.sh builds it: dotnet build -c Release Silo).");
        return new ShutdownOptions(repo, sources, sinks, lines, stuck, runs, keep);
    }
}
