using System.Globalization;
using OrleansConnect.Failover;

// Usage: OrleansConnect.Failover --repo DIR [--runs N] [--connectors N] [--tasks N] [--settings PROBE:DEATH[,PROBE:DEATH...]] [--keep]
FailoverOptions options;
try
{
    options = FailoverOptions.Parse(args);
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

var workDir = Directory.CreateTempSubdirectory("orleansconnect-failover-").FullName;
var succeeded = false;
try
{
    var results = await new FailoverBenchmark(options, workDir, Console.Out).RunAsync(cancellation.Token);
    Console.WriteLine();
    Console.WriteLine(FailoverBenchmark.Format(results));
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

public sealed record MembershipSetting(int ProbeMs, int DeathMs)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"probe {ProbeMs} ms / death {DeathMs} ms");
}

public sealed record FailoverOptions(string Repo, int Runs, int Connectors, int Tasks, IReadOnlyList<MembershipSetting> Settings, bool Keep)
{
    public string SiloDll => Path.Combine(Repo, "Silo/bin/Release/net10.0/OrleansConnect.Silo.dll");

    public static FailoverOptions Parse(string[] args)
    {
        string? repo = null;
        int runs = 5, connectors = 6, tasks = 3;
        var settings = new List<MembershipSetting> { new(1000, 3000), new(2000, 6000) };
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
                case "--runs": runs = Positive("--runs"); break;
                case "--connectors": connectors = Positive("--connectors"); break;
                case "--tasks": tasks = Positive("--tasks"); break;
                case "--keep": keep = true; break;
                case "--settings":
                    var text = Value();
                    settings = text.Split(',').Select(s =>
                    {
                        var parts = s.Split(':');
                        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var probe)
                            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var death) || probe < 100 || death < 2 * probe)
                            throw new ArgumentException($"--settings takes PROBE_MS:DEATH_MS pairs separated by commas (probe >= 100, death >= 2 × probe), not '{s}'.");
                        return new MembershipSetting(probe, death);
                    }).ToList();
                    break;
                default: throw new ArgumentException($"Unknown argument '{args[i]}'. Usage: --repo DIR [--runs N] [--connectors N] [--tasks N] [--settings 1000:3000,2000:6000] [--keep]");
            }
        }
        if (repo is null) throw new ArgumentException("--repo DIR is required (bench/run-failover.sh passes it).");
        if (!File.Exists(Path.Combine(repo, "Silo/bin/Release/net10.0/OrleansConnect.Silo.dll")))
            throw new ArgumentException($"The silo is not built under {repo} (bench/run-failover.sh builds it: dotnet build -c Release Silo).");
        return new FailoverOptions(repo, runs, connectors, tasks, settings, keep);
    }
}
