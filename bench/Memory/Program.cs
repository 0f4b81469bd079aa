using System.Globalization;
using OrleansConnect.Memory;

// Usage: OrleansConnect.Memory --repo DIR [--connectors N] [--settle SECONDS] [--sample SECONDS] [--concurrency N] [--latency-requests N] [--keep]
MemoryOptions options;
try
{
    options = MemoryOptions.Parse(args);
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

var workDir = Directory.CreateTempSubdirectory("orleansconnect-memory-").FullName;
var succeeded = false;
try
{
    var result = await new MemoryBenchmark(options, workDir, Console.Out).RunAsync(cancellation.Token);
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

public sealed record MemoryOptions(string Repo, int Connectors, TimeSpan Settle, TimeSpan Sample, int Concurrency, int LatencyRequests, bool Keep)
{
    public string SiloDll => Path.Combine(Repo, "Silo/bin/Release/net10.0/OrleansConnect.Silo.dll");

    public static MemoryOptions Parse(string[] args)
    {
        string? repo = null;
        int connectors = 1000, settle = 10, sample = 20, concurrency = 8, latencyRequests = 1000;
        var keep = false;
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int Positive(string name)
            {
                var text = Value();
                return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
                    ? n : throw new ArgumentException($"{name} must be a positive integer, not '{text}'.");
            }
            switch (args[i])
            {
                case "--repo": repo = Value(); break;
                case "--connectors": connectors = Positive("--connectors"); break;
                case "--settle": settle = Positive("--settle"); break;
                case "--sample": sample = Positive("--sample"); break;
                case "--concurrency": concurrency = Positive("--concurrency"); break;
                case "--latency-requests": latencyRequests = Positive("--latency-requests"); break;
                case "--keep": keep = true; break;
                default: throw new ArgumentException($"Unknown argument '{args[i]}'. Usage: --repo DIR [--connectors N] [--settle S] [--sample S] [--concurrency N] [--latency-requests N] [--keep]");
            }
        }
        if (repo is null) throw new ArgumentException("--repo DIR is required (bench/run-memory.sh passes it).");
        if (!File.Exists(Path.Combine(repo, "Silo/bin/Release/net10.0/OrleansConnect.Silo.dll")))
            throw new ArgumentException($"The silo is not built under {repo} (bench/run-memory.sh builds it: dotnet build -c Release Silo).");
        if (!OperatingSystem.IsLinux()) throw new ArgumentException("The memory bench reads /proc: Linux only.");
        return new MemoryOptions(repo, connectors, TimeSpan.FromSeconds(settle), TimeSpan.FromSeconds(sample), concurrency, latencyRequests, keep);
    }
}
