using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using OrleansConnect.Bench;
using OrleansConnect.Grains.Kafka;

namespace OrleansConnect.Faults;

/// <summary>The Kafka-protocol broker of the cluster faults in a process of its own, so that SIGSTOP freezes it (the
/// other benches keep it inside the bench process, where it cannot be frozen without freezing the bench). It is this
/// program started again in its <c>broker-host</c> mode: librdkafka's mock cluster (3 brokers) with the given topics,
/// which writes its bootstrap list to a file and runs until killed.</summary>
public sealed class BrokerProcess(string workDir) : IAsyncDisposable
{
    public const string HostMode = "broker-host";
    private const string ReadyMarker = "BROKER READY ";

    private Process? _process;

    public string BootstrapServers { get; private set; } = "";
    public string LogPath => Path.Combine(workDir, "broker.log");
    public int? Pid => _process is { HasExited: false } p ? p.Id : null;

    /// <param name="topics">Created before the broker is announced: name and partition count (replication factor 3 for
    /// more than one partition, as the offsets topic, else 1). The mock cannot create topics through the admin API.</param>
    public async Task StartAsync(IEnumerable<(string Name, int Partitions)> topics, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(workDir);
        var self = Assembly.GetEntryAssembly()?.Location ?? throw new InvalidOperationException("No entry assembly to start the broker host from.");
        var readyFile = Path.Combine(workDir, "bootstrap");
        _process = SiloBench.StartLogged("dotnet", [self, HostMode, readyFile, .. topics.Select(t => $"{t.Name}:{t.Partitions}")], workDir, LogPath);
        var process = _process;
        await SiloBench.UntilAsync(() =>
        {
            if (process.HasExited) throw new InvalidOperationException($"The broker host exited with code {process.ExitCode}:\n{SiloBench.Tail(LogPath)}");
            var ready = SiloBench.ReadLog(readyFile).Split('\n').FirstOrDefault(l => l.StartsWith(ReadyMarker, StringComparison.Ordinal));
            if (ready is null) return Task.FromResult(false);
            BootstrapServers = ready[ReadyMarker.Length..].Trim();
            return Task.FromResult(true);
        }, TimeSpan.FromSeconds(60), () => $"the broker host to print its bootstrap list\n{SiloBench.Tail(LogPath)}", cancellationToken,
            TimeSpan.FromMilliseconds(50));
    }

    /// <summary>SIGSTOP: every broker of the mock cluster stops answering, its connections stay open.</summary>
    public void Freeze() => SiloBench.Freeze(Pid ?? throw new InvalidOperationException("The broker host is not running."));

    public void Thaw() => SiloBench.Thaw(Pid ?? throw new InvalidOperationException("The broker host is not running."));

    public async ValueTask DisposeAsync()
    {
        if (_process is null) return;
        if (!_process.HasExited)
        {
            _process.Kill(); // SIGKILL ends a frozen process too
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    /// <summary>The broker-host mode: <c>broker-host READY_FILE topic:partitions ...</c>. It writes the bootstrap list to
    /// READY_FILE and runs until killed. It stays away from <see cref="Console"/> and signal registrations: those make .NET
    /// install a SIGCONT handler, and a handled SIGCONT interrupts the mock cluster's poll(2), which it takes as fatal
    /// ("Mock cluster failed to poll ... Interrupted system call": its listeners close and every client is refused).</summary>
    public static async Task<int> HostAsync(IReadOnlyList<string> args)
    {
        using var broker = EmbeddedKafkaBroker.Start(3);
        foreach (var spec in args.Skip(1))
        {
            var colon = spec.LastIndexOf(':');
            var partitions = colon > 0 && int.TryParse(spec.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
                ? n : throw new ArgumentException($"A topic is name:partitions, not '{spec}'.");
            broker.CreateTopic(spec[..colon], partitions, partitions > 1 ? 3 : 1);
        }
        await File.WriteAllTextAsync(args[0] + ".tmp", ReadyMarker + broker.BootstrapServers + "\n");
        File.Move(args[0] + ".tmp", args[0]);
        await Task.Delay(Timeout.Infinite);
        return 0;
    }
}
