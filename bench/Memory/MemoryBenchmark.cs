using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using OrleansConnect.Bench;
using static OrleansConnect.Bench.SiloBench;

namespace OrleansConnect.Memory;

/// <summary>One silo with its defaults (standalone, embedded broker): its RSS and threads idle, then with N idle
/// FileStreamSource connectors (one task each) on small files that never grow.</summary>
public sealed class MemoryBenchmark(MemoryOptions options, string workDir, TextWriter output)
{
    private const string Topic = "memory-idle";

    public async Task<string> RunAsync(CancellationToken cancellationToken)
    {
        var port = FreePort();
        var logPath = Path.Combine(workDir, "silo.log");
        // The pid is the silo's own, so /proc/<pid> is the silo and not a wrapper.
        using var process = StartLogged("dotnet", [options.SiloDll], workDir, logPath, new Dictionary<string, string>
        {
            ["CONNECT_REST_PORT"] = port.ToString(CultureInfo.InvariantCulture),
            ["CONNECT_REST_HOST_NAME"] = "127.0.0.1",
            ["CONNECT_DATA_DIR"] = Path.Combine(workDir, "data"),
        });
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(60) };
        try
        {
            var clock = Stopwatch.StartNew();
            await UntilAsync(async () =>
            {
                if (process.HasExited) throw new InvalidOperationException($"The silo exited with code {process.ExitCode}:\n{Tail(logPath)}");
                try
                {
                    using var response = await client.GetAsync("health", cancellationToken);
                    return response.StatusCode == HttpStatusCode.OK;
                }
                catch (HttpRequestException) { return false; }
            }, TimeSpan.FromSeconds(90), () => "GET /health 200", cancellationToken, TimeSpan.FromMilliseconds(50));
            output.WriteLine($"Silo pid {process.Id} (embedded broker, defaults) healthy after {clock.Elapsed.TotalSeconds:0.0} s; settling {options.Settle.TotalSeconds:0} s");
            await Task.Delay(options.Settle, cancellationToken);
            var idle = await SampleAsync(process.Id, "idle", cancellationToken);
            output.WriteLine($"idle thread names: {ProcSample.ThreadNames(process.Id)}");

            // N small files that already hold one line each: every task reads it, produces it, then has nothing to do.
            var files = Path.Combine(workDir, "inputs");
            Directory.CreateDirectory(files);
            var names = Enumerable.Range(0, options.Connectors).Select(i => $"idle-{i:0000}").ToList();
            foreach (var name in names) await File.WriteAllTextAsync(Path.Combine(files, name + ".txt"), name + "\n", cancellationToken);
            clock.Restart();
            await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = options.Concurrency, CancellationToken = cancellationToken },
                async (name, token) =>
                {
                    using var response = await client.PostAsJsonAsync("connectors", new
                    {
                        name,
                        config = new Dictionary<string, string>
                        {
                            ["connector.class"] = "FileStreamSource",
                            ["tasks.max"] = "1",
                            ["file"] = Path.Combine(files, name + ".txt"),
                            ["topic"] = Topic,
                        },
                    }, token);
                    if (response.StatusCode != HttpStatusCode.Created)
                        throw new InvalidOperationException($"POST /connectors ({name}) answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(token)}");
                });
            output.WriteLine($"{names.Count} connectors created in {clock.Elapsed.TotalSeconds:0.0} s (concurrency {options.Concurrency})");

            var running = 0;
            await UntilAsync(async () =>
            {
                running = await CountRunningTasksAsync(client, cancellationToken);
                return running == names.Count;
            }, TimeSpan.FromSeconds(180), () => $"{names.Count} tasks RUNNING (last: {running})", cancellationToken, TimeSpan.FromSeconds(1));
            output.WriteLine($"{names.Count} connectors and tasks RUNNING after {clock.Elapsed.TotalSeconds:0.0} s; settling {options.Settle.TotalSeconds:0} s");
            await Task.Delay(options.Settle, cancellationToken);
            var loaded = await SampleAsync(process.Id, $"{names.Count} idle connectors", cancellationToken);
            output.WriteLine($"thread names with {names.Count} connectors: {ProcSample.ThreadNames(process.Id)}");
            running = await CountRunningTasksAsync(client, cancellationToken);
            if (running != names.Count) throw new InvalidOperationException($"Only {running} of {names.Count} tasks still RUNNING after sampling.");
            // REST latency with N connectors, after the memory samples (its requests would disturb them).
            var all = await LatencyAsync(client, _ => "connectors?expand=status", options.LatencyRequests / 10, cancellationToken);
            var one = await LatencyAsync(client, i => $"connectors/{names[i % names.Count]}/status", options.LatencyRequests, cancellationToken);
            return Format(idle, loaded, names.Count) + Environment.NewLine + FormatLatency(names.Count, all, one);
        }
        finally
        {
            if (!process.HasExited) Terminate(process.Id); // clean stop: it snapshots its embedded broker into the temp dir
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try { await process.WaitForExitAsync(timeout.Token); }
            catch (OperationCanceledException) { process.Kill(entireProcessTree: true); }
        }
    }

    /// <summary>Sequential GETs (one client, as a script or console polls), after a warm-up of a tenth as many.</summary>
    private async Task<double[]> LatencyAsync(HttpClient client, Func<int, string> path, int requests, CancellationToken cancellationToken)
    {
        requests = Math.Max(10, requests);
        var timings = new List<double>(requests);
        for (var i = -requests / 10; i < requests; i++)
        {
            var clock = Stopwatch.StartNew();
            using var response = await client.GetAsync(path(Math.Max(0, i)), HttpCompletionOption.ResponseContentRead, cancellationToken);
            if (response.StatusCode != HttpStatusCode.OK)
                throw new InvalidOperationException($"GET {path(i)} answered {(int)response.StatusCode}");
            if (i >= 0) timings.Add(clock.Elapsed.TotalMilliseconds);
        }
        output.WriteLine($"GET {path(0)}: {requests} requests, p50 {Percentile(timings, 50):0.0} ms, p99 {Percentile(timings, 99):0.0} ms");
        return timings.ToArray();
    }

    private static string FormatLatency(int n, double[] all, double[] one)
    {
        string Row(string label, double[] t) => $"{label,-48} {t.Length,8} {Percentile(t, 50),8:0.0} {Percentile(t, 99),8:0.0} {t.Max(),8:0.0}";
        var header = $"{$"REST latency, {n} connectors (ms)",-48} {"requests",8} {"p50",8} {"p99",8} {"max",8}";
        return new StringBuilder().AppendLine(header).AppendLine(new string('-', header.Length))
            .AppendLine(Row("GET /connectors?expand=status", all))
            .AppendLine(Row("GET /connectors/{c}/status", one)).ToString();
    }

    /// <summary>One sample a second over the sample period; the median resists a GC or a timer burst in one sample.</summary>
    private async Task<ProcSample> SampleAsync(int pid, string label, CancellationToken cancellationToken)
    {
        var samples = new List<ProcSample>();
        var end = DateTime.UtcNow + options.Sample;
        while (DateTime.UtcNow < end)
        {
            samples.Add(ProcSample.Read(pid));
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }
        var median = new ProcSample(Median(samples.Select(s => s.RssKiB)), (int)Median(samples.Select(s => (long)s.Threads)),
            (int)Median(samples.Select(s => (long)s.LibrdkafkaThreads)));
        output.WriteLine($"{label}: {samples.Count} samples, VmRSS {string.Join(" ", samples.Select(s => MiB(s.RssKiB)))} MiB; " +
            $"threads {samples.Min(s => s.Threads)}..{samples.Max(s => s.Threads)}");
        return median;
    }

    private static string MiB(long kib) => (kib / 1024.0).ToString("0.0", CultureInfo.InvariantCulture);

    private static string Format(ProcSample idle, ProcSample loaded, int n)
    {
        string Per(long diff) => ((double)diff / n).ToString("0.00", CultureInfo.InvariantCulture);
        var text = new StringBuilder();
        var header = $"{"silo (medians)",-40} {"VmRSS MiB",10} {"threads",8} {"of which librdkafka",20} {".NET/other threads",19}";
        text.AppendLine(header).AppendLine(new string('-', header.Length));
        text.AppendLine($"{"idle (no connectors)",-40} {MiB(idle.RssKiB),10} {idle.Threads,8} {idle.LibrdkafkaThreads,20} {idle.Threads - idle.LibrdkafkaThreads,19}");
        text.AppendLine($"{$"{n} idle connectors + {n} tasks",-40} {MiB(loaded.RssKiB),10} {loaded.Threads,8} {loaded.LibrdkafkaThreads,20} {loaded.Threads - loaded.LibrdkafkaThreads,19}");
        var rssPer = ((double)(loaded.RssKiB - idle.RssKiB) / n).ToString("0.0", CultureInfo.InvariantCulture);
        text.AppendLine($"{"per connector+task (difference / " + n + ")",-40} {rssPer + " KiB",10} {Per(loaded.Threads - idle.Threads),8} " +
            $"{Per(loaded.LibrdkafkaThreads - idle.LibrdkafkaThreads),20} {Per(loaded.Threads - loaded.LibrdkafkaThreads - (idle.Threads - idle.LibrdkafkaThreads)),19}");
        return text.ToString();
    }
}
