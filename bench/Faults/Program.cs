using System.Globalization;
using System.Runtime.InteropServices;
using OrleansConnect.Bench;
using OrleansConnect.Faults;

// The broker of the cluster faults runs as this program in a process of its own (so SIGSTOP can freeze it).
if (args is [BrokerProcess.HostMode, .. var topics]) return await BrokerProcess.HostAsync(topics);

FaultOptions options;
try
{
    options = FaultOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

// Ctrl-C, SIGTERM and SIGHUP end the run through its cancellation, so the finally blocks kill what it started; a
// second signal while that runs ends the process at once (run-faults.sh then kills what is left from the pid file).
using var cancellation = new CancellationTokenSource();
void Stop(PosixSignalContext context)
{
    if (cancellation.IsCancellationRequested) return;
    context.Cancel = true;
    Console.Error.WriteLine($"{context.Signal}: stopping, killing the silos, the broker, Redis and PostgreSQL...");
    cancellation.Cancel();
}
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, Stop);

var workDir = Directory.CreateTempSubdirectory("orleansconnect-faults-").FullName;
var setup = $"bench/run-faults.sh, {DateTime.Now:yyyy-MM-dd HH:mm}: {options.Pipelines} FileStream pipelines (source + sink) per cluster, " +
    $"{options.LinesPerSecond} lines/s each; clusters of 3 silos (Redis membership, PostgreSQL state, the broker as a process); " +
    $"{Environment.ProcessorCount} cores, load average before the run {string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3))}";
Console.WriteLine(setup + $"; work dir {workDir}");
var suite = new FaultSuite(options, workDir, Console.Out);
var status = 0;
try
{
    await suite.RunAsync(cancellation.Token);
}
catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
{
    Console.Error.WriteLine("Cancelled.");
    status = 130;
}
finally
{
    var markdown = Path.Combine(workDir, "faults.md");
    await File.WriteAllTextAsync(markdown, FaultReport.Markdown(suite.Rows, setup), CancellationToken.None);
    Console.WriteLine();
    Console.WriteLine(FaultReport.Text(suite.Rows, setup));
    // An error row is a finding: keep every log for a look. Otherwise only the table stays.
    if (status != 0 || options.Keep || suite.Rows.Any(r => r.Error is not null)) Console.WriteLine($"Logs and files kept in {workDir}");
    else
    {
        foreach (var dir in Directory.EnumerateDirectories(workDir))
        {
            try { Directory.Delete(dir, recursive: true); }
            catch (IOException e) { Console.Error.WriteLine($"Could not delete {dir}: {e.Message}"); }
        }
    }
    Console.WriteLine($"Table written to {markdown}");
}
return status;

public sealed record FaultOptions(string Repo, IReadOnlySet<string> Only, int Pipelines, int LinesPerSecond, TimeSpan Outage, TimeSpan PoisonWatch,
    TimeSpan RecoveryTimeout, IReadOnlyDictionary<string, string> SiloSettings, bool Keep, PidFile Pids)
{
    public string SiloDll => Path.Combine(Repo, "Silo/bin/Release/net10.0/OrleansConnect.Silo.dll");

    private const string Usage = "Usage: --repo DIR [--only fault,fault...] [--pipelines N] [--rate LINES_PER_SECOND] [--outage-seconds S] " +
        "[--poison-seconds S] [--recovery-timeout S] [--set key=value]... [--keep] [--pid-file PATH]";

    public static FaultOptions Parse(string[] args)
    {
        string? repo = null, pidFile = null;
        int pipelines = 3, rate = 200, outage = 30, poison = 60, recovery = 90;
        var only = new HashSet<string>(FaultSuite.Names, StringComparer.Ordinal);
        var keep = false;
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int Positive(string name)
            {
                var text = Value();
                return int.TryParse(text.Replace("_", ""), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
                    ? n : throw new ArgumentException($"{name} must be a positive integer, not '{text}'.");
            }
            switch (args[i])
            {
                case "--repo": repo = Value(); break;
                case "--only":
                    only = [.. Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
                    if (only.FirstOrDefault(n => !FaultSuite.Names.Contains(n)) is { } unknown)
                        throw new ArgumentException($"Unknown fault '{unknown}'; the faults: {string.Join(", ", FaultSuite.Names)}.");
                    break;
                case "--pipelines": pipelines = Positive("--pipelines"); break;
                case "--rate": rate = Positive("--rate"); break;
                case "--outage-seconds": outage = Positive("--outage-seconds"); break;
                case "--poison-seconds": poison = Positive("--poison-seconds"); break;
                case "--recovery-timeout": recovery = Positive("--recovery-timeout"); break;
                case "--set":
                    var pair = Value();
                    var eq = pair.IndexOf('=');
                    if (eq <= 0) throw new ArgumentException($"--set takes key=value (a worker key for every silo), not '{pair}'.");
                    settings[pair[..eq]] = pair[(eq + 1)..];
                    break;
                case "--keep": keep = true; break;
                case "--pid-file": pidFile = Value(); break;
                default: throw new ArgumentException($"Unknown argument '{args[i]}'. {Usage}");
            }
        }
        if (repo is null) throw new ArgumentException("--repo DIR is required (bench/run-faults.sh passes it).");
        if (!File.Exists(Path.Combine(repo, "Silo/bin/Release/net10.0/OrleansConnect.Silo.dll")))
            throw new ArgumentException($"The silo is not built under {repo} (bench/run-faults.sh builds it: dotnet build -c Release Silo).");
        if (!OperatingSystem.IsLinux()) throw new ArgumentException("The fault bench sends POSIX signals and mounts a tmpfs: Linux only.");
        if (outage <= 5) throw new ArgumentException("--outage-seconds must be over 5 (redis-down-kill kills a silo 5 s into the outage).");
        return new FaultOptions(repo, only, pipelines, rate, TimeSpan.FromSeconds(outage), TimeSpan.FromSeconds(poison), TimeSpan.FromSeconds(recovery),
            settings, keep, new PidFile(pidFile));
    }
}
