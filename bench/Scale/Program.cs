using System.Globalization;
using System.Runtime.InteropServices;
using OrleansConnect.Bench;
using OrleansConnect.Scale;

// Usage: OrleansConnect.Scale --repo DIR [--silos N] [--connectors N] [--clients N] [--membership redis|postgresql] [--rest-seconds S]
//   [--idle-seconds S] [--settle S] [--phase-timeout S] [--pg-max-connections N] [--status expand|per-connector] [--set key=value]...
//   [--skip-failover] [--keep] [--pid-file PATH]
ScaleOptions options;
try
{
    options = ScaleOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

// Ctrl-C, SIGTERM and SIGHUP end the run through its cancellation, so the finally blocks kill what it started; a
// second signal while that runs ends the process at once (run-scale.sh then kills what is left from the pid file).
using var cancellation = new CancellationTokenSource();
void Stop(PosixSignalContext context)
{
    if (cancellation.IsCancellationRequested) return;
    context.Cancel = true;
    Console.Error.WriteLine($"{context.Signal}: stopping, killing the silos, Redis and PostgreSQL...");
    cancellation.Cancel();
}
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, Stop);

var workDir = Directory.CreateTempSubdirectory("orleansconnect-scale-").FullName;
var benchmark = new ScaleBenchmark(options, workDir, Console.Out);
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
    Console.WriteLine(benchmark.Report.Format(benchmark.Census, benchmark.Monitor));
    // A phase that did not finish is a finding: keep its logs for a look.
    if (failed || options.Keep || benchmark.Report.Unfinished.Count > 0) Console.WriteLine($"Logs and files kept in {workDir}");
    else Directory.Delete(workDir, recursive: true);
}

public sealed record ScaleOptions(string Repo, int Silos, int Connectors, int Clients, string Membership, TimeSpan RestDuration, TimeSpan IdleWindow,
    TimeSpan Settle, TimeSpan PhaseTimeout, int PgMaxConnections, bool PerConnectorStatus, IReadOnlyDictionary<string, string> SiloSettings,
    bool SkipFailover, bool Keep, PidFile Pids)
{
    public string SiloDll => Path.Combine(Repo, "Silo/bin/Release/net10.0/OrleansConnect.Silo.dll");

    private const string Usage = "Usage: --repo DIR [--silos N] [--connectors N] [--clients N] [--membership redis|postgresql] [--rest-seconds S] " +
        "[--idle-seconds S] [--settle S] [--phase-timeout S] [--pg-max-connections N] [--status expand|per-connector] [--set key=value]... " +
        "[--skip-failover] [--keep] [--pid-file PATH]";

    public static ScaleOptions Parse(string[] args)
    {
        string? repo = null, pidFile = null;
        int silos = 3, connectors = 1000, clients = 16, restSeconds = 20, idleSeconds = 30, settle = 15, phaseTimeout = 300, pgMaxConnections = 100;
        var membership = "redis";
        var perConnector = false;
        bool skipFailover = false, keep = false;
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int Positive(string name)
            {
                var text = Value();
                return int.TryParse(text.Replace("_", "").Replace(",", ""), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
                    ? n : throw new ArgumentException($"{name} must be a positive integer, not '{text}'.");
            }
            switch (args[i])
            {
                case "--repo": repo = Value(); break;
                case "--silos": silos = Positive("--silos"); break;
                case "--connectors": connectors = Positive("--connectors"); break;
                case "--clients": clients = Positive("--clients"); break;
                case "--membership":
                    membership = Value();
                    if (membership is not ("redis" or "postgresql")) throw new ArgumentException($"--membership is redis or postgresql, not '{membership}'.");
                    break;
                case "--rest-seconds": restSeconds = Positive("--rest-seconds"); break;
                case "--idle-seconds": idleSeconds = Positive("--idle-seconds"); break;
                case "--settle": settle = Positive("--settle"); break;
                case "--phase-timeout": phaseTimeout = Positive("--phase-timeout"); break;
                case "--pg-max-connections": pgMaxConnections = Positive("--pg-max-connections"); break;
                case "--status":
                    var mode = Value();
                    perConnector = mode switch
                    {
                        "expand" => false,
                        "per-connector" => true,
                        _ => throw new ArgumentException($"--status is expand or per-connector, not '{mode}'."),
                    };
                    break;
                case "--set":
                    var pair = Value();
                    var eq = pair.IndexOf('=');
                    if (eq <= 0) throw new ArgumentException($"--set takes key=value (a worker key, e.g. tasks.max.per.silo=5000), not '{pair}'.");
                    settings[pair[..eq]] = pair[(eq + 1)..];
                    break;
                case "--skip-failover": skipFailover = true; break;
                case "--keep": keep = true; break;
                case "--pid-file": pidFile = Value(); break;
                default: throw new ArgumentException($"Unknown argument '{args[i]}'. {Usage}");
            }
        }
        if (repo is null) throw new ArgumentException("--repo DIR is required (bench/run-scale.sh passes it).");
        if (!File.Exists(Path.Combine(repo, "Silo/bin/Release/net10.0/OrleansConnect.Silo.dll")))
            throw new ArgumentException($"The silo is not built under {repo} (bench/run-scale.sh builds it: dotnet build -c Release Silo).");
        if (!OperatingSystem.IsLinux()) throw new ArgumentException("The scale bench reads /proc: Linux only.");
        return new ScaleOptions(repo, silos, connectors, clients, membership, TimeSpan.FromSeconds(restSeconds), TimeSpan.FromSeconds(idleSeconds),
            TimeSpan.FromSeconds(settle), TimeSpan.FromSeconds(phaseTimeout), pgMaxConnections, perConnector, settings, skipFailover, keep, new PidFile(pidFile));
    }
}
