using System.Diagnostics;

namespace OrleansConnect.Bench;

/// <summary>A throwaway redis-server on a free loopback port for Orleans' Redis membership: without persistence (as
/// <c>--save "" --appendonly no</c>), or with an append-only file (as compose.yaml runs it) when
/// <paramref name="persistent"/>. Its output goes to <c>redis-N.log</c> in the work directory (N counts the starts); it is
/// ready once the log says it accepts connections (no Redis client needed here). It can be stopped and started again on
/// the same port, with its data or empty (fault injection). Killed on dispose.</summary>
public sealed class RedisServer(string workDir, bool persistent = false) : IAsyncDisposable
{
    private Process? _process;
    private int _starts;

    public int Port { get; } = SiloBench.FreePort();

    /// <summary>A StackExchange.Redis configuration string (what <c>cluster.membership.connection.string</c> takes).</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    public string LogPath => Path.Combine(workDir, $"redis-{_starts}.log");

    public int? Pid => _process is { HasExited: false } p ? p.Id : null;

    public bool Persistent => persistent;

    private string DataDir => Path.Combine(workDir, "data");

    /// <summary>Starts the server (again, after <see cref="StopAsync"/> or <see cref="KillAsync"/>, on the same port).
    /// With <paramref name="empty"/>, whatever a persistent server had written is deleted first.</summary>
    public async Task StartAsync(CancellationToken cancellationToken, bool empty = false)
    {
        if (IsRunning) throw new InvalidOperationException($"redis-server on port {Port} is already running.");
        _process?.Dispose();
        if (empty && Directory.Exists(DataDir)) Directory.Delete(DataDir, recursive: true);
        Directory.CreateDirectory(DataDir);
        _starts++;
        string[] args = ["--port", Port.ToString(), "--bind", "127.0.0.1", "--dir", DataDir, "--save", "",
            "--appendonly", persistent ? "yes" : "no", "--appendfsync", "everysec"];
        _process = SiloBench.StartLogged("redis-server", args, workDir, LogPath);
        var process = _process;
        var log = LogPath;
        await SiloBench.UntilAsync(() => process.HasExited
                ? throw new InvalidOperationException($"redis-server exited with code {process.ExitCode} (installed? Debian: apt-get install redis-server):\n{SiloBench.Tail(log)}")
                : Task.FromResult(SiloBench.ReadLog(log).Contains("Ready to accept connections", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), () => $"redis-server on port {Port} ready\n{SiloBench.Tail(log)}", cancellationToken, TimeSpan.FromMilliseconds(50));
    }

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>SIGTERM: Redis' own shutdown (a persistent server writes its append-only file first).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_process is null || _process.HasExited) return;
        SiloBench.Terminate(_process.Id);
        await _process.WaitForExitAsync(cancellationToken);
    }

    /// <summary>kill -9: whatever was not yet written is lost.</summary>
    public async Task KillAsync()
    {
        if (_process is null || _process.HasExited) return;
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
    }
}
