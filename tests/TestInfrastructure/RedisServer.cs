using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace OrleansConnect.Tests.Infrastructure;

/// <summary>A throwaway redis-server on a free loopback port, without persistence unless <see cref="Persistent"/>, for
/// the test class that uses it. Ready once it answers PING; killed on dispose. <see cref="StopAsync"/> and
/// <see cref="StartAsync"/> take it down and bring it back on the same port, as an outage does.</summary>
public sealed class RedisServer : IAsyncLifetime
{
    private const string Binary = "redis-server";
    private Process? _process;
    private readonly StringBuilder _log = new();
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "oc-redis-" + Guid.NewGuid().ToString("N")[..8]);

    public int Port { get; } = FreePort();

    /// <summary>Keep the data across <see cref="StopAsync"/> (an append-only file synced on every write), as a Redis run
    /// with persistence comes back after a restart; without it a restart comes back empty.</summary>
    public bool Persistent { get; init; }

    /// <summary>A StackExchange.Redis configuration string for this server.</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    public string ServerLog
    {
        get
        {
            lock (_log) return _log.ToString();
        }
    }

    public Task InitializeAsync() => StartAsync();

    /// <summary>Starts the server (again) on its port.</summary>
    public async Task StartAsync()
    {
        var info = new ProcessStartInfo(Binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "" })
            info.ArgumentList.Add(a);
        if (Persistent)
        {
            Directory.CreateDirectory(_dir);
            foreach (var a in new[] { "--dir", _dir, "--appendonly", "yes", "--appendfsync", "always" })
                info.ArgumentList.Add(a);
        }
        else
        {
            info.ArgumentList.Add("--appendonly");
            info.ArgumentList.Add("no");
        }
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {Binary}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"{Binary} is not installed ({e.Message}); install the redis-server package.", e);
        }
        _process = process;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        await Eventually.Until(async () =>
        {
            if (process.HasExited) throw new InvalidOperationException($"{Binary} exited with {process.ExitCode}:\n{ServerLog}");
            return await PingAsync();
        }, TimeSpan.FromSeconds(30), $"redis-server on port {Port} answers PING\n{ServerLog}");
    }

    /// <summary>Sends PING over a fresh connection and reports whether PONG came back.</summary>
    public async Task<bool> PingAsync()
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await client.ConnectAsync(IPAddress.Loopback, Port, timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), timeout.Token);
            var buffer = new byte[64];
            var read = await stream.ReadAsync(buffer, timeout.Token);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>kill -9 of the server: its clients' connections drop and new ones are refused until
    /// <see cref="StartAsync"/>.</summary>
    public async Task StopAsync()
    {
        if (_process is null) return;
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
        _process = null;
    }

    public async Task DisposeAsync()
    {
        await StopAsync();
        try { if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_log) _log.AppendLine(line);
    }

    private static int FreePort() => TestPorts.Free();
}
