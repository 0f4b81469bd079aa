using System.Diagnostics;

namespace OrleansConnect.Bench;

/// <summary>A throwaway redis-server on a free loopback port, without persistence, for Orleans' Redis membership.
/// Its output goes to <c>redis.log</c> in the work directory; it is ready once the log says it accepts connections
/// (no Redis client needed here). Killed on dispose.</summary>
public sealed class RedisServer(string workDir) : IAsyncDisposable
{
    private Process? _process;

    public int Port { get; } = SiloBench.FreePort();

    /// <summary>A StackExchange.Redis configuration string (what <c>cluster.membership.connection.string</c> takes).</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    public string LogPath => Path.Combine(workDir, "redis.log");

    public int? Pid => _process is { HasExited: false } p ? p.Id : null;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(workDir);
        _process = SiloBench.StartLogged("redis-server", ["--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            workDir, LogPath);
        var process = _process;
        await SiloBench.UntilAsync(() => process.HasExited
                ? throw new InvalidOperationException($"redis-server exited with code {process.ExitCode} (installed? Debian: apt-get install redis-server):\n{SiloBench.Tail(LogPath)}")
                : Task.FromResult(SiloBench.ReadLog(LogPath).Contains("Ready to accept connections", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), () => $"redis-server on port {Port} ready\n{SiloBench.Tail(LogPath)}", cancellationToken, TimeSpan.FromMilliseconds(50));
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is null) return;
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
