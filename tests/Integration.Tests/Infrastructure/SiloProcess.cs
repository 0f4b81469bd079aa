using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace OrleansConnect.Tests.Infrastructure;

/// <summary>A silo running as its own process (dotnet OrleansConnect.Silo.dll), configured through CONNECT_*
/// variables like the container images, with its REST API on a loopback port.</summary>
public sealed partial class SiloProcess : IAsyncDisposable
{
    private readonly Dictionary<string, string> _environment;
    private readonly string[] _args;
    private readonly StringBuilder _log = new();
    private Process? _process;

    /// <param name="https">Serve the REST API on https://127.0.0.1:&lt;port&gt; (listeners); the settings give the certificate and
    /// <paramref name="handler"/> how the client trusts it.</param>
    public SiloProcess(string workDir, string bootstrapServers, IReadOnlyDictionary<string, string>? settings = null, string[]? args = null,
        int? restPort = null, bool https = false, HttpMessageHandler? handler = null)
    {
        WorkDir = workDir;
        Directory.CreateDirectory(workDir);
        Port = restPort ?? FreePort();
        // Silos of parallel tests would all want the registry's default port 8081.
        RegistryPort = FreePort();
        _args = args ?? [];
        _environment = new Dictionary<string, string>
        {
            ["CONNECT_BOOTSTRAP_SERVERS"] = bootstrapServers,
            ["CONNECT_REST_PORT"] = Port.ToString(),
            ["CONNECT_SCHEMA_REGISTRY_PORT"] = RegistryPort.ToString(),
            ["CONNECT_REST_HOST_NAME"] = "127.0.0.1",
            ["CONNECT_REST_ADVERTISED_HOST_NAME"] = "127.0.0.1",
            ["CONNECT_DATA_DIR"] = Path.Combine(workDir, "data"),
            ["CONNECT_OFFSET_FLUSH_INTERVAL_MS"] = "1000",
            ["CONNECT_GROUP_ID"] = "test-" + Guid.NewGuid().ToString("N")[..8],
            ["CONNECT_OFFSET_STORAGE_REPLICATION_FACTOR"] = "1",
            // The test broker keeps 5 MiB per partition: compressed, 100 000 records stay within reach.
            ["CONNECT_PRODUCER_COMPRESSION_TYPE"] = "lz4",
        };
        if (https) _environment["CONNECT_LISTENERS"] = $"https://127.0.0.1:{Port}";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            _environment["CONNECT_" + key.ToUpperInvariant().Replace('.', '_')] = value;
        BaseAddress = new Uri($"{(https ? "https" : "http")}://127.0.0.1:{Port}/");
        Client = new HttpClient(handler ?? new HttpClientHandler()) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public string WorkDir { get; }
    public int Port { get; }
    /// <summary>The schema registry's port (it listens when the registry is on: with the embedded broker, or schema.registry.enable).</summary>
    public int RegistryPort { get; }
    public Uri RegistryAddress => new($"http://127.0.0.1:{RegistryPort}/");
    public HttpClient Client { get; }
    public Uri BaseAddress { get; }
    public string WorkerId => $"127.0.0.1:{Port}";

    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    public async Task StartAsync(TimeSpan? timeout = null)
    {
        var process = Launch();
        await Eventually.Until(async () =>
        {
            if (process.HasExited) throw new InvalidOperationException($"The silo exited with code {process.ExitCode}:\n{Log}");
            using var response = await Client.GetAsync("health");
            // Another process may hold the port (chosen free, then taken before this silo bound it): its answer
            // does not count. This silo then exits with "a port is already in use", reported above.
            return response.StatusCode == HttpStatusCode.OK && (!OperatingSystem.IsLinux() || ListensOnPort(process));
        }, timeout ?? TimeSpan.FromSeconds(60), "silo healthy\n" + Log);
    }

    /// <summary>Whether <paramref name="process"/> owns the socket listening on <see cref="Port"/>: the listening
    /// socket's inode (from /proc/net/tcp*) among the process's file descriptors.</summary>
    private bool ListensOnPort(Process process)
    {
        var suffix = ":" + Port.ToString("X4");
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(table)) continue;
            // Columns: sl, local_address (ADDR:PORT in hex), rem_address, st (0A = LISTEN), …, inode (the tenth).
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length > 9 && parts[1].EndsWith(suffix, StringComparison.Ordinal) && parts[3] == "0A") inodes.Add(parts[9]);
            }
        }
        try
        {
            return Directory.EnumerateFileSystemEntries($"/proc/{process.Id}/fd")
                .Select(fd => new FileInfo(fd).LinkTarget)
                .Any(target => target is not null && target.StartsWith("socket:[", StringComparison.Ordinal) && inodes.Contains(target[8..^1]));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Starts the silo expecting it to stop by itself (a refused start): its exit code.</summary>
    public async Task<int> RunToExitAsync(TimeSpan timeout)
    {
        var process = Launch();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The silo did not exit within {timeout.TotalSeconds:0} s:\n{Log}");
        }
        return process.ExitCode;
    }

    private Process Launch()
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = WorkDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(RepositoryPaths.SiloDll);
        foreach (var arg in _args) info.ArgumentList.Add(arg);
        foreach (var (key, value) in _environment) info.Environment[key] = value;
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        return process;
    }

    /// <summary>kill -9: no chance to flush or commit anything.</summary>
    public async Task KillAsync()
    {
        if (_process is null || _process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, as a container runtime or Ctrl-C stops it; waits for a clean exit.</summary>
    public async Task StopAsync(TimeSpan? timeout = null)
    {
        if (_process is null || _process.HasExited) return;
        _ = kill(_process.Id, 15);
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        await _process.WaitForExitAsync(cts.Token);
    }

    public int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
        Client.Dispose();
    }

    private static int FreePort() => TestPorts.Free();

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
