using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using OrleansConnect.Grains.Kafka;
using OrleansConnect.Silo.EmbeddedBroker;
using static OrleansConnect.Bench.SiloBench;

namespace OrleansConnect.Shutdown;

/// <summary>Per run: a fresh silo (standalone, embedded broker) with N FileStreamSource and M FileStreamSink connectors
/// whose records have flowed, then SIGTERM and the time until the process exits; the silo's own log says how long the
/// grain runtime's stop and the embedded broker's snapshot took. Then starts that fail on the last run's data dir.</summary>
public sealed class ShutdownBenchmark(ShutdownOptions options, string workDir, TextWriter output)
{
    private sealed record StopRun(double ExitSeconds, double? RuntimeStopMs, double? SnapshotMs, string SnapshotLine);
    private sealed record FailedStart(string Case, double ExitSeconds, int ExitCode, double? SnapshotMs, string Note);

    public async Task<string> RunAsync(CancellationToken cancellationToken)
    {
        var runs = new List<StopRun>();
        string? lastDataDir = null;
        for (var run = 1; run <= options.Runs; run++)
        {
            var runDir = Path.Combine(workDir, $"run-{run}");
            runs.Add(await StopOnceAsync(run, runDir, cancellationToken));
            lastDataDir = Path.Combine(runDir, "data");
        }
        var failed = new List<FailedStart>
        {
            await FailedStartAsync("REST port in use", lastDataDir!, portInUse: true, cancellationToken),
            await FailedStartAsync("PostgreSQL storage unreachable", lastDataDir!, portInUse: false, cancellationToken),
        };
        return Format(runs, failed);
    }

    private async Task<StopRun> StopOnceAsync(int run, string runDir, CancellationToken cancellationToken)
    {
        var inputs = Path.Combine(runDir, "inputs");
        var outputs = Path.Combine(runDir, "outputs");
        Directory.CreateDirectory(inputs);
        Directory.CreateDirectory(outputs);
        var port = FreePort();
        var logPath = Path.Combine(runDir, "silo.log");
        using var silo = StartSilo(port, Path.Combine(runDir, "data"), logPath, new Dictionary<string, string>
        {
            // Commits (and the sink's file flush) every second, so records are seen to flow within the run.
            ["CONNECT_OFFSET_FLUSH_INTERVAL_MS"] = "1000",
        });
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(60) };
        var clock = Stopwatch.StartNew();
        try
        {
            await WaitHealthyAsync(silo, client, logPath, cancellationToken);
            var bootstrap = Regex.Match(ReadLog(logPath), @"Embedded Kafka broker listening on (\S+)").Groups[1].Value;
            output.WriteLine($"run {run}: silo pid {silo.Id} healthy after {clock.Elapsed.TotalSeconds:0.0} s (broker {bootstrap})");

            var sources = Enumerable.Range(0, options.Sources).Select(i => $"src-{i:000}").ToList();
            var sinks = Enumerable.Range(0, options.Sinks).Select(i => $"sink-{i:000}").ToList();
            foreach (var name in sources)
                await File.WriteAllLinesAsync(Path.Combine(inputs, name + ".txt"),
                    Enumerable.Range(0, options.Lines).Select(l => $"{name} line {l}"), cancellationToken);
            var configs = sources.Select(name => (name, new Dictionary<string, string>
                {
                    ["connector.class"] = "FileStreamSource", ["tasks.max"] = "1",
                    ["file"] = Path.Combine(inputs, name + ".txt"), ["topic"] = "topic-" + name,
                }))
                .Concat(sinks.Select((name, i) => (name, new Dictionary<string, string>
                {
                    ["connector.class"] = "FileStreamSink", ["tasks.max"] = "1",
                    ["file"] = Path.Combine(outputs, name + ".txt"), ["topics"] = "topic-" + sources[i % sources.Count],
                })))
                .ToList();
            // A misbehaving task: a FileStreamSource on a FIFO nobody writes to blocks in open(2) on its first poll and
            // never returns, so its graceful stop can only time out.
            for (var i = 0; i < options.Stuck; i++)
            {
                var fifo = Path.Combine(inputs, $"stuck-{i:000}.fifo");
                using (var mkfifo = Process.Start("mkfifo", [fifo])) await mkfifo.WaitForExitAsync(cancellationToken);
                configs.Add(($"stuck-{i:000}", new Dictionary<string, string>
                {
                    ["connector.class"] = "FileStreamSource", ["tasks.max"] = "1", ["file"] = fifo, ["topic"] = "topic-stuck",
                }));
            }
            clock.Restart();
            await Parallel.ForEachAsync(configs, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
                async (c, token) =>
                {
                    using var response = await client.PostAsJsonAsync("connectors", new { name = c.name, config = c.Item2 }, token);
                    if (response.StatusCode != HttpStatusCode.Created)
                        throw new InvalidOperationException($"POST /connectors ({c.name}) answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(token)}");
                });
            var total = configs.Count;
            var running = 0;
            await UntilAsync(async () => (running = await CountRunningTasksAsync(client, cancellationToken)) == total,
                TimeSpan.FromSeconds(180), () => $"{total} tasks RUNNING (last: {running})", cancellationToken, TimeSpan.FromMilliseconds(500));
            output.WriteLine($"run {run}: {total} connectors created and their tasks RUNNING in {clock.Elapsed.TotalSeconds:0.0} s");

            // Records flowing: every source's lines are in its topic, and every sink wrote its topic's lines to its file.
            long produced = 0;
            await UntilAsync(() => Task.FromResult((produced = ProducedRecords(bootstrap, sources)) == (long)sources.Count * options.Lines),
                TimeSpan.FromSeconds(120), () => $"{sources.Count * options.Lines} records in the source topics (last: {produced})", cancellationToken);
            var written = 0;
            await UntilAsync(() => Task.FromResult((written = sinks.Count(s => LineCount(Path.Combine(outputs, s + ".txt")) >= options.Lines)) == sinks.Count),
                TimeSpan.FromSeconds(120), () => $"{sinks.Count} sink files with {options.Lines} lines (last: {written})", cancellationToken);
            output.WriteLine($"run {run}: {produced} records produced, {sinks.Count} sink files complete after {clock.Elapsed.TotalSeconds:0.0} s; SIGTERM");

            var stop = Stopwatch.StartNew();
            Terminate(silo.Id);
            using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120)))
                await silo.WaitForExitAsync(CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken).Token);
            var exitSeconds = stop.Elapsed.TotalSeconds;
            if (silo.ExitCode != 0) throw new InvalidOperationException($"The silo exited with code {silo.ExitCode} after SIGTERM:\n{Tail(logPath)}");
            var log = ReadLog(logPath);
            var saved = Regex.Match(log, @"Saved the embedded Kafka broker to .*? in (\d+) ms");
            var runtime = Regex.Match(log, @"Grain runtime stopped in (\d+) ms");
            var result = new StopRun(exitSeconds, runtime.Success ? double.Parse(runtime.Groups[1].Value, CultureInfo.InvariantCulture) : null,
                saved.Success ? double.Parse(saved.Groups[1].Value, CultureInfo.InvariantCulture) : null,
                saved.Success ? saved.Value : "(no snapshot line in the log)");
            var abandoned = Regex.Matches(log, @"did not stop within .*?; abandoning it").Count;
            output.WriteLine($"run {run}: SIGTERM → exit {exitSeconds:0.000} s; {abandoned} task(s) abandoned; {result.SnapshotLine}");
            return result;
        }
        finally
        {
            if (!silo.HasExited) silo.Kill(entireProcessTree: true);
        }
    }

    /// <summary>A start that fails after the embedded broker started and restored the last run's snapshot.</summary>
    private async Task<FailedStart> FailedStartAsync(string name, string dataDir, bool portInUse, CancellationToken cancellationToken)
    {
        var logPath = Path.Combine(workDir, $"failed-start-{(portInUse ? "port" : "postgres")}.log");
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var takenPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        if (!portInUse) listener.Stop();
        var environment = new Dictionary<string, string>();
        if (!portInUse)
        {
            // Nothing listens on this port: the storage's first connection is refused.
            environment["CONNECT_STORAGE_PROVIDER"] = "postgresql";
            environment["CONNECT_STORAGE_CONNECTION_STRING"] = $"Host=127.0.0.1;Port={FreePort()};Username=connect;Password=connect;Database=connect";
        }
        var clock = Stopwatch.StartNew();
        using var silo = StartSilo(portInUse ? takenPort : FreePort(), dataDir, logPath, environment);
        try
        {
            using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120)))
                await silo.WaitForExitAsync(CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken).Token);
        }
        finally
        {
            if (!silo.HasExited) silo.Kill(entireProcessTree: true);
        }
        var seconds = clock.Elapsed.TotalSeconds;
        var log = ReadLog(logPath);
        var saved = Regex.Match(log, @"Saved the embedded Kafka broker to .*? in (\d+) ms");
        var reason = log.Split('\n').FirstOrDefault(l => l.Contains("could not start", StringComparison.OrdinalIgnoreCase) || l.Contains("in use", StringComparison.OrdinalIgnoreCase))?.Trim() ?? "";
        var kept = File.Exists(Path.Combine(dataDir, EmbeddedBrokerLog.FileName)) ? "broker log kept" : "NO broker log left in data.dir";
        var restored = Regex.Match(log, @"Restored the embedded Kafka broker .*? in (\d+) ms");
        kept += restored.Success ? $"; restore took {restored.Groups[1].Value} ms" : "";
        output.WriteLine($"failed start ({name}): exit {silo.ExitCode} after {seconds:0.000} s; {kept}; {(saved.Success ? saved.Value : "no snapshot saved")}; {reason}");
        return new FailedStart(name, seconds, silo.ExitCode, saved.Success ? double.Parse(saved.Groups[1].Value, CultureInfo.InvariantCulture) : null, kept);
    }

    private Process StartSilo(int port, string dataDir, string logPath, Dictionary<string, string> environment)
    {
        var info = new ProcessStartInfo("/bin/sh") { WorkingDirectory = workDir, UseShellExecute = false };
        // exec: the pid is the silo's own, so SIGTERM reaches the silo and not a wrapper.
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("exec \"$0\" \"$@\" >\"$BENCH_LOG\" 2>&1");
        info.ArgumentList.Add("dotnet");
        info.ArgumentList.Add(options.SiloDll);
        info.Environment["BENCH_LOG"] = logPath;
        info.Environment["CONNECT_REST_PORT"] = port.ToString(CultureInfo.InvariantCulture);
        info.Environment["CONNECT_REST_HOST_NAME"] = "127.0.0.1";
        info.Environment["CONNECT_DATA_DIR"] = dataDir;
        foreach (var (key, value) in environment) info.Environment[key] = value;
        return Process.Start(info) ?? throw new InvalidOperationException("Could not start the silo.");
    }

    private static async Task WaitHealthyAsync(Process silo, HttpClient client, string logPath, CancellationToken cancellationToken) =>
        await UntilAsync(async () =>
        {
            if (silo.HasExited) throw new InvalidOperationException($"The silo exited with code {silo.ExitCode}:\n{Tail(logPath)}");
            try
            {
                using var response = await client.GetAsync("health", cancellationToken);
                return response.StatusCode == HttpStatusCode.OK;
            }
            catch (HttpRequestException) { return false; }
        }, TimeSpan.FromSeconds(90), () => "GET /health 200", cancellationToken);

    /// <summary>Sum of the source topics' high watermarks on the silo's embedded broker.</summary>
    private static long ProducedRecords(string bootstrap, List<string> sources)
    {
        using var consumer = KafkaClients.BuildConsumer(new Dictionary<string, string>
        {
            ["bootstrap.servers"] = bootstrap, ["group.id"] = "bench-probe", ["enable.auto.commit"] = "false", ["log_level"] = "0",
        });
        try
        {
            using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build();
            var topics = sources.Select(s => "topic-" + s).ToHashSet();
            var partitions = admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics.Where(t => topics.Contains(t.Topic))
                .SelectMany(t => t.Partitions.Select(p => new TopicPartition(t.Topic, p.PartitionId))).ToList();
            // LATEST (-1) for every partition in one request per broker.
            return consumer.OffsetsForTimes(partitions.Select(tp => new TopicPartitionTimestamp(tp, new Timestamp(-1, TimestampType.CreateTime))),
                TimeSpan.FromSeconds(10)).Sum(o => Math.Max(0, o.Offset.Value));
        }
        catch (KafkaException)
        {
            return -1; // a topic not created yet
        }
        finally
        {
            consumer.Close();
        }
    }

    private static int LineCount(string path)
    {
        if (!File.Exists(path)) return 0;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var count = 0;
        int b;
        while ((b = stream.ReadByte()) >= 0) if (b == '\n') count++;
        return count;
    }

    private string Format(List<StopRun> runs, List<FailedStart> failed)
    {
        var text = new StringBuilder();
        var what = $"{options.Sources} FileStreamSource + {options.Sinks} FileStreamSink, {options.Lines} lines each" +
            (options.Stuck > 0 ? $", + {options.Stuck} task(s) stuck in open(2) on a FIFO" : "");
        text.AppendLine($"clean stop (SIGTERM), {what}; {runs.Count} runs");
        var header = $"{"measure",-44} {"p50",9} {"max",9}  all runs";
        text.AppendLine(header).AppendLine(new string('-', header.Length + 20));
        void Row(string label, List<double> values, string unit) =>
            text.AppendLine($"{label,-44} {Percentile(values, 50),9:0.000} {values.Max(),9:0.000}  {string.Join(" ", values.Select(v => v.ToString("0.000", CultureInfo.InvariantCulture)))} {unit}");
        Row("SIGTERM → process exit (s)", runs.Select(r => r.ExitSeconds).ToList(), "s");
        if (runs.All(r => r.RuntimeStopMs is not null)) Row("of which host + grain runtime stop (s)", runs.Select(r => r.RuntimeStopMs!.Value / 1000).ToList(), "s");
        if (runs.All(r => r.SnapshotMs is not null)) Row("of which embedded broker snapshot save (s)", runs.Select(r => r.SnapshotMs!.Value / 1000).ToList(), "s");
        text.AppendLine($"snapshot (last run): {runs[^1].SnapshotLine}");
        text.AppendLine();
        foreach (var f in failed)
            text.AppendLine($"failed start, {f.Case,-32}: exit code {f.ExitCode} after {f.ExitSeconds:0.000} s (process start → exit); " +
                $"{(f.SnapshotMs is { } ms ? $"snapshot saved in {ms / 1000:0.000} s" : "no snapshot saved")}; {f.Note}");
        return text.ToString();
    }
}
