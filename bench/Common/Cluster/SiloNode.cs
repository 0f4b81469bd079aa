using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace OrleansConnect.Bench;

/// <summary>One silo process with fixed REST and silo ports, so a replacement after kill -9 comes back at the
/// same address (as a restarted container would). Output goes straight to a log file through <c>sh -c exec</c>,
/// so the pid is the silo's own and kill -9 hits the silo, not a wrapper.</summary>
public sealed partial class SiloNode(string siloDll, string workDir, IReadOnlyDictionary<string, string> settings) : IAsyncDisposable
{
    private Process? _process;
    private int _incarnation;

    public int RestPort { get; } = SiloBench.FreePort();
    public int SiloPort { get; } = SiloBench.FreePort();
    public string WorkerId => $"127.0.0.1:{RestPort}";
    public HttpClient Client { get; } = new() { BaseAddress = null, Timeout = TimeSpan.FromSeconds(30) };
    public bool IsRunning => _process is { HasExited: false };
    public string LogPath => Path.Combine(workDir, $"silo-{RestPort}-{_incarnation}.log");

    public Uri BaseAddress => new($"http://127.0.0.1:{RestPort}/");

    /// <summary>The running process's pid (for /proc), or null before the start and after it exited.</summary>
    public int? Pid => _process is { HasExited: false } p ? p.Id : null;

    /// <param name="started">Told the pid as soon as the process runs (before it is healthy), for a caller that must be
    /// able to kill it should it itself be killed meanwhile.</param>
    public async Task StartAsync(TimeSpan timeout, CancellationToken cancellationToken, Action<int>? started = null)
    {
        _incarnation++;
        Directory.CreateDirectory(workDir);
        var environment = new Dictionary<string, string>
        {
            ["CONNECT_REST_PORT"] = RestPort.ToString(),
            ["CONNECT_REST_HOST_NAME"] = "127.0.0.1",
            ["CONNECT_REST_ADVERTISED_HOST_NAME"] = "127.0.0.1",
            ["CONNECT_SILO_PORT"] = SiloPort.ToString(),
            ["CONNECT_SILO_ADVERTISED_HOST_NAME"] = "127.0.0.1",
            ["CONNECT_DATA_DIR"] = Path.Combine(workDir, "data"),
        };
        foreach (var (key, value) in settings) environment["CONNECT_" + key.ToUpperInvariant().Replace('.', '_')] = value;
        _process = SiloBench.StartLogged("dotnet", [siloDll], workDir, LogPath, environment);
        started?.Invoke(_process.Id);
        var process = _process;
        await SiloBench.UntilAsync(async () =>
        {
            if (process.HasExited) throw new InvalidOperationException($"The silo {WorkerId} exited with code {process.ExitCode}:\n{Tail()}");
            try
            {
                using var response = await Client.GetAsync(new Uri(BaseAddress, "health"), cancellationToken);
                return response.StatusCode == HttpStatusCode.OK;
            }
            catch (HttpRequestException) { return false; }
        }, timeout, () => $"silo {WorkerId} GET /health 200\n{Tail()}", cancellationToken, TimeSpan.FromMilliseconds(50));
    }

    /// <summary>kill -9: no clean stop, no commit, no goodbye to the membership table.</summary>
    public async Task KillAsync()
    {
        if (_process is null || _process.HasExited) return;
        _ = kill(_process.Id, 9);
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGSTOP: the process is frozen until <see cref="Thaw"/> (its sockets stay open, nothing answers).</summary>
    public void Freeze() => SiloBench.Freeze(Pid ?? throw new InvalidOperationException($"The silo {WorkerId} is not running."));

    /// <summary>SIGCONT.</summary>
    public void Thaw() => SiloBench.Thaw(Pid ?? throw new InvalidOperationException($"The silo {WorkerId} is not running."));

    /// <summary>SIGTERM (the clean stop), then waits for the exit: how long it took, or null if the process still runs
    /// after <paramref name="timeout"/> (it is left running).</summary>
    public async Task<TimeSpan?> TerminateAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_process is null || _process.HasExited) return TimeSpan.Zero;
        var clock = Stopwatch.StartNew();
        SiloBench.Terminate(_process.Id);
        return await WaitForExitAsync(timeout, cancellationToken) ? clock.Elapsed : null;
    }

    /// <summary>Whether the process exited within <paramref name="timeout"/> (a silo declared dead stops itself).</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_process is null) return true;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    public async Task CreateConnectorAsync(string name, IReadOnlyDictionary<string, string> config, CancellationToken cancellationToken)
    {
        using var response = await Client.PostAsJsonAsync(new Uri(BaseAddress, "connectors"), new { name, config }, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Created)
            throw new InvalidOperationException($"POST /connectors ({name}) on {WorkerId} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
    }

    /// <summary>Every task of the connectors with its state and worker_id, as this silo reports them.</summary>
    public async Task<List<TaskPlacement>> TasksAsync(IEnumerable<string> connectors, CancellationToken cancellationToken)
    {
        var result = new List<TaskPlacement>();
        foreach (var name in connectors)
        {
            using var response = await Client.GetAsync(new Uri(BaseAddress, $"connectors/{name}/status"), cancellationToken);
            if (!response.IsSuccessStatusCode) throw new HttpRequestException($"GET /connectors/{name}/status on {WorkerId} answered {(int)response.StatusCode}");
            var status = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            foreach (var task in status?["tasks"]?.AsArray() ?? [])
                result.Add(new TaskPlacement(name, (int)task!["id"]!, (string?)task["state"] ?? "", (string?)task["worker_id"] ?? "", (string?)task["trace"]));
        }
        return result;
    }

    public string Tail(int lines = 40)
    {
        if (!File.Exists(LogPath)) return "(no output)";
        using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var all = new StreamReader(stream).ReadToEnd().Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
        Client.Dispose();
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}

public sealed record TaskPlacement(string Connector, int Task, string State, string WorkerId, string? Trace);
