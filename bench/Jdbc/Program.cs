using System.Globalization;
using System.Runtime.InteropServices;
using OrleansConnect.Bench;
using OrleansConnect.Jdbc;

// Usage: OrleansConnect.Jdbc --repo DIR [--records N] [--partitions N] [--warmup N] [--sink key=value]... [--source key=value]...
//   [--only sink|source] [--keep] [--pid-file PATH]
JdbcOptions options;
try
{
    options = JdbcOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

// Ctrl-C, SIGTERM and SIGHUP end the run through its cancellation, so the finally blocks stop what it started.
using var cancellation = new CancellationTokenSource();
void Stop(PosixSignalContext context)
{
    if (cancellation.IsCancellationRequested) return;
    context.Cancel = true;
    Console.Error.WriteLine($"{context.Signal}: stopping, killing the silo and PostgreSQL...");
    cancellation.Cancel();
}
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, Stop);

var workDir = Directory.CreateTempSubdirectory("orleansconnect-jdbc-").FullName;
var benchmark = new JdbcBenchmark(options, workDir, Console.Out);
var failed = false;
try
{
    await benchmark.RunAsync(cancellation.Token);
    return 0;
}
catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
{
    Console.Error.WriteLine("Cancelled.");
    failed = true;
    return 130;
}
catch (Exception e)
{
    Console.Error.WriteLine($"Benchmark failed: {e}");
    failed = true;
    return 1;
}
finally
{
    Console.WriteLine();
    Console.WriteLine(benchmark.Report());
    if (failed || options.Keep) Console.WriteLine($"Logs and files kept in {workDir}");
    else Directory.Delete(workDir, recursive: true);
}

public sealed record JdbcOptions(string Repo, int Records, int Partitions, int Warmup, IReadOnlyDictionary<string, string> Sink,
    IReadOnlyDictionary<string, string> Source, bool RunSink, bool RunSource, bool Keep, PidFile Pids)
{
    public string SiloDll => Path.Combine(Repo, "Silo/bin/Release/net10.0/OrleansConnect.Silo.dll");

    private const string Usage = "Usage: --repo DIR [--records N] [--partitions N] [--warmup N] [--sink key=value]... [--source key=value]... " +
        "[--only sink|source] [--keep] [--pid-file PATH]";

    public static JdbcOptions Parse(string[] args)
    {
        string? repo = null, pidFile = null;
        int records = 1_000_000, partitions = 16, warmup = -1;
        bool runSink = true, runSource = true, keep = false;
        var sink = new Dictionary<string, string>(StringComparer.Ordinal);
        var source = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int Count(string name, int min)
            {
                var text = Value();
                return int.TryParse(text.Replace("_", "").Replace(",", ""), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min
                    ? n : throw new ArgumentException($"{name} must be an integer of at least {min}, not '{text}'.");
            }
            void Pair(Dictionary<string, string> into, string name)
            {
                var pair = Value();
                var eq = pair.IndexOf('=');
                if (eq <= 0) throw new ArgumentException($"{name} takes key=value (a connector key, e.g. batch.size=3000), not '{pair}'.");
                into[pair[..eq]] = pair[(eq + 1)..];
            }
            switch (args[i])
            {
                case "--repo": repo = Value(); break;
                case "--records": records = Count("--records", 100); break;
                case "--partitions": partitions = Count("--partitions", 1); break;
                case "--warmup": warmup = Count("--warmup", 0); break;
                case "--sink": Pair(sink, "--sink"); break;
                case "--source": Pair(source, "--source"); break;
                case "--only":
                    var only = Value();
                    (runSink, runSource) = only switch
                    {
                        "sink" => (true, false),
                        "source" => (false, true),
                        _ => throw new ArgumentException($"--only is sink or source, not '{only}'."),
                    };
                    break;
                case "--keep": keep = true; break;
                case "--pid-file": pidFile = Value(); break;
                default: throw new ArgumentException($"Unknown argument '{args[i]}'. {Usage}");
            }
        }
        if (repo is null) throw new ArgumentException("--repo DIR is required (bench/run-jdbc.sh passes it).");
        if (!File.Exists(Path.Combine(repo, "Silo/bin/Release/net10.0/OrleansConnect.Silo.dll")))
            throw new ArgumentException($"The silo is not built under {repo} (bench/run-jdbc.sh builds it: dotnet build -c Release Silo).");
        // 200,000: with 40,000 (a fifth of 200,000) the first measured row ran at half the speed of the second, its code
        // not yet at the JIT's final tier (the same as bench/run.sh found).
        if (warmup < 0) warmup = Math.Min(200_000, records);
        return new JdbcOptions(repo, records, partitions, warmup, sink, source, runSink, runSource, keep, new PidFile(pidFile));
    }
}
