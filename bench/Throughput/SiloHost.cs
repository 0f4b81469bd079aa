using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace OrleansConnect.Throughput;

/// <summary>One OrleansConnect silo as its own process, configured only through CONNECT_* variables
/// (as a container would be) against the benchmark's broker, driven through its Kafka Connect REST API.</summary>
public sealed class SiloHost : IAsyncDisposable
{
    public const string StringConverter = "org.apache.kafka.connect.storage.StringConverter";
    public const string JsonConverter = "org.apache.kafka.connect.json.JsonConverter";
    public const string OffsetsTopic = "bench-connect-offsets";

    private readonly Process _process;
    private readonly HttpClient _client;
    private readonly LogReader _log;

    private SiloHost(Process process, HttpClient client, string logPath)
    {
        _process = process;
        _client = client;
        LogPath = logPath;
        _log = new LogReader(logPath);
    }

    public string LogPath { get; }

    /// <summary>Starts the silo and returns once GET /health answers 200, with how long that took.</summary>
    public static async Task<(SiloHost Silo, TimeSpan StartTime)> StartAsync(string siloDll, string bootstrapServers, string workDir,
        TimeSpan timeout, bool metrics, CancellationToken cancellationToken)
    {
        if (!File.Exists(siloDll)) throw new FileNotFoundException($"The silo is not built at {siloDll} (bench/run.sh builds it: dotnet build -c Release Silo).", siloDll);
        var port = FreePort();
        var environment = new Dictionary<string, string>
        {
            ["CONNECT_BOOTSTRAP_SERVERS"] = bootstrapServers,
            ["CONNECT_REST_PORT"] = port.ToString(),
            ["CONNECT_REST_HOST_NAME"] = "127.0.0.1",
            ["CONNECT_REST_ADVERTISED_HOST_NAME"] = "127.0.0.1",
            ["CONNECT_DATA_DIR"] = Path.Combine(workDir, "silo-data"),
            ["CONNECT_GROUP_ID"] = "bench",
            ["CONNECT_OFFSET_FLUSH_INTERVAL_MS"] = "1000",
            ["CONNECT_OFFSET_STORAGE_TOPIC"] = OffsetsTopic,
            ["CONNECT_OFFSET_STORAGE_REPLICATION_FACTOR"] = "1",
            // Like for like with kcat, which sends the file's bytes as they are.
            ["CONNECT_KEY_CONVERTER"] = StringConverter,
            ["CONNECT_VALUE_CONVERTER"] = StringConverter,
            // The silo compresses with lz4 by default only on the broker it embeds; this broker is external to it.
            ["CONNECT_PRODUCER_COMPRESSION_TYPE"] = "lz4",
            ["CONNECT_METRICS_ENABLE"] = metrics ? "true" : "false",
        };
        var logPath = Path.Combine(workDir, "silo.log");
        var clock = Stopwatch.StartNew();
        var process = ExternalProcess.Start("dotnet", [siloDll], workDir, logPath, logPath + ".err", environment);
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) };
        var silo = new SiloHost(process, client, logPath);
        try
        {
            await Poll.UntilAsync(async () =>
            {
                if (process.HasExited) throw new InvalidOperationException($"The silo exited with code {process.ExitCode}:\n{silo.LogTail()}");
                try
                {
                    using var response = await client.GetAsync("health", cancellationToken);
                    return response.StatusCode == HttpStatusCode.OK;
                }
                catch (HttpRequestException)
                {
                    return false; // not listening yet
                }
            }, timeout, TimeSpan.FromMilliseconds(20), () => "the silo's GET /health to answer 200\n" + silo.LogTail(), cancellationToken);
            return (silo, clock.Elapsed);
        }
        catch
        {
            await silo.DisposeAsync();
            throw;
        }
    }

    /// <summary>Reads GET /metrics every <paramref name="interval"/> until cancelled, as a (busy) Prometheus would;
    /// returns how many scrapes answered and their total size.</summary>
    public async Task<(int Scrapes, long Bytes)> ScrapeMetricsAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        var (scrapes, bytes) = (0, 0L);
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var body = await _client.GetStringAsync("metrics", cancellationToken);
                scrapes++;
                bytes += body.Length;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { }
        return (scrapes, bytes);
    }

    public async Task CreateConnectorAsync(string name, IReadOnlyDictionary<string, string> config, CancellationToken cancellationToken)
    {
        using var response = await _client.PostAsJsonAsync("connectors", new { name, config }, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Created)
            throw new InvalidOperationException($"POST /connectors ({name}) answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
    }

    public async Task DeleteConnectorAsync(string name, CancellationToken cancellationToken)
    {
        using var response = await _client.DeleteAsync($"connectors/{name}", cancellationToken);
        if (response.StatusCode is not (HttpStatusCode.NoContent or HttpStatusCode.OK))
            throw new InvalidOperationException($"DELETE /connectors/{name} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
    }

    /// <summary>Throws when the connector or one of its tasks has FAILED (with the trace), so a broken
    /// stage fails at once instead of at its timeout.</summary>
    public async Task ThrowIfFailedAsync(string name, CancellationToken cancellationToken)
    {
        using var response = await _client.GetAsync($"connectors/{name}/status", cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound) return; // not registered yet
        var status = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        var states = new List<(string Who, string? State, string? Trace)>
        {
            ("connector", status?["connector"]?["state"]?.GetValue<string>(), status?["connector"]?["trace"]?.GetValue<string>()),
        };
        foreach (var task in status?["tasks"]?.AsArray() ?? [])
            states.Add(($"task {task?["id"]}", task?["state"]?.GetValue<string>(), task?["trace"]?.GetValue<string>()));
        var failed = states.FirstOrDefault(s => s.State == "FAILED");
        if (failed.Who is not null)
            throw new InvalidOperationException($"Connector {name}: {failed.Who} FAILED:\n{failed.Trace}\n{LogTail()}");
    }

    /// <summary>When the silo logged that task 0 of <paramref name="connector"/> got its first partitions from its
    /// consumer group (WorkerSinkTask logs it at Information, from the rebalance callback), relative to
    /// <paramref name="postedAt"/>; null until then. The log's own timestamp (ms) is used, not when this reads it.</summary>
    public TimeSpan? AssignedSince(string connector, DateTime postedAt)
    {
        var marker = $"Task {connector}-0 was assigned ";
        foreach (var line in _log.NewLines())
        {
            if (!line.Contains(marker, StringComparison.Ordinal)) continue;
            // "yyyy-MM-dd HH:mm:ss.fff " (local time), as Silo/Program.cs configures the console.
            if (line.Length >= 23 && DateTime.TryParseExact(line[..23], "yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out var at))
                return at - postedAt;
        }
        return null;
    }

    public string LogTail() => ExternalProcess.Tail(LogPath) + "\n" + ExternalProcess.Tail(LogPath + ".err", 10);

    public async ValueTask DisposeAsync()
    {
        try
        {
            ExternalProcess.Terminate(_process);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
        }
        _process.Dispose();
        _client.Dispose();
        _log.Dispose();
    }

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
