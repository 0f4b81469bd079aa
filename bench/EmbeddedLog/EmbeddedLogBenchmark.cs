using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using OrleansConnect.Grains.Kafka;
using OrleansConnect.Silo.EmbeddedBroker;
using static OrleansConnect.Bench.SiloBench;

namespace OrleansConnect.EmbeddedLog;

/// <summary>The embedded broker's log (issue 24 item 4), two measurements:
/// <list type="number">
/// <item>cost: an embedded broker in this process with N one-partition topics of R records each, one of them busy (a
/// producer at a steady rate, a group committing its end every 100 ms); the first save of an empty log reads everything
/// (the work of the previous version's clean-stop snapshot), then the periodic saves read only what changed;</item>
/// <item>kill -9: a silo process on its embedded broker runs FileStreamSource → FileStreamSink over a file that keeps
/// growing, is killed mid-stream, started again on the same data dir, and the sink file is checked for lost and repeated
/// lines. <c>--silo-dll</c> runs it against another build (the previous version, for the figures before).</item>
/// </list></summary>
public sealed class EmbeddedLogBenchmark(EmbeddedLogOptions options, string workDir, TextWriter output)
{
    private const int ValueBytes = 100;

    public async Task<string> SaveCostAsync(CancellationToken ct)
    {
        using var broker = EmbeddedKafkaBroker.Start(3);
        var topics = Enumerable.Range(0, options.Topics).Select(i => $"t{i:000}").ToList();
        foreach (var topic in topics) broker.CreateTopic(topic, 1);
        var value = Encoding.ASCII.GetBytes(new string('x', ValueBytes));
        using var producer = KafkaClients.BuildProducer(new Dictionary<string, string>
        {
            ["bootstrap.servers"] = broker.BootstrapServers, ["linger.ms"] = "5", ["compression.type"] = "lz4", ["log_level"] = "3",
        });
        foreach (var topic in topics)
            for (var i = 0; i < options.Records; i++) producer.Produce(new TopicPartition(topic, 0), new Message<byte[]?, byte[]?> { Value = value });
        producer.Flush(ct);
        output.WriteLine($"cost: {options.Topics} topics × {options.Records} records of {ValueBytes} bytes; {topics[0]} busy at {options.Rate} records/s");

        var dir = Path.Combine(workDir, "cost");
        await using var log = await EmbeddedBrokerLog.OpenAsync(broker, dir, new EmbeddedBrokerLogOptions(), NullLogger.Instance, ct);
        var groups = new[] { "busy-sink" };
        var full = await log.SaveAsync(groups, ct);
        output.WriteLine($"cost: first save (everything) {full.Elapsed.TotalMilliseconds:0} ms, {full.Records} records, {full.BytesAppended / 1024} KiB");

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var busy = Task.Run(() => BusyAsync(broker.BootstrapServers, topics[0], value, stop.Token), ct);
        var saves = new List<EmbeddedBrokerSaveResult>();
        try
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(options.IntervalMs));
            for (var i = 0; i < options.Saves; i++)
            {
                await timer.WaitForNextTickAsync(ct);
                var save = await log.SaveAsync(groups, ct);
                saves.Add(save);
                output.WriteLine($"cost: save {i + 1}: {save.Elapsed.TotalMilliseconds:0.0} ms, {save.PartitionsRead} of {save.Partitions} partitions read, " +
                    $"{save.Records} records, {save.GroupOffsets} group offsets, {save.BytesAppended / 1024} KiB");
            }
        }
        finally
        {
            await stop.CancelAsync();
            try { await busy; } catch (OperationCanceledException) { }
        }
        // Nothing changed since the last save: what every save costs at least.
        await log.SaveAsync(groups, ct);
        var idle = new List<double>();
        for (var i = 0; i < 5; i++) idle.Add((await log.SaveAsync(groups, ct)).Elapsed.TotalMilliseconds);
        var ms = saves.Select(s => s.Elapsed.TotalMilliseconds).ToList();
        var (fileBytes, liveBytes) = (log.FileBytes, log.LiveBytes);
        await log.DisposeAsync();

        // What a start on this data dir pays: replaying the log into a fresh broker and rewriting it in the new numbering.
        using var restarted = EmbeddedKafkaBroker.Start(3);
        var restoreClock = Stopwatch.StartNew();
        await using (await EmbeddedBrokerLog.OpenAsync(restarted, dir, new EmbeddedBrokerLogOptions(), new WriterLogger(output), ct)) { }
        var restore = restoreClock.Elapsed;
        return $"""
            Save cost ({options.Topics} topics × {options.Records} records, 1 busy at {options.Rate}/s, a save every {options.IntervalMs} ms):
              first save, everything (what the previous version's clean-stop snapshot read): {full.Elapsed.TotalMilliseconds:0} ms, {full.Records} records
              periodic saves ({saves.Count}): median {Percentile(ms, 50):0.0} ms, p95 {Percentile(ms, 95):0.0} ms, max {ms.Max():0.0} ms; median {Median(saves.Select(s => s.Records)):N0} records and {Median(saves.Select(s => s.BytesAppended)) / 1024:N0} KiB appended, {saves.Max(s => s.PartitionsRead)} partition(s) read at most
              a save with nothing new: median {Percentile(idle, 50):0.0} ms of 5
              log file {fileBytes / 1024:N0} KiB, of which {liveBytes / 1024:N0} KiB live; a start restores it in {restore.TotalMilliseconds:0} ms
            """;
    }

    /// <summary>A producer at a steady rate into one topic and a group committing that topic's end every 100 ms (a sink).</summary>
    private async Task BusyAsync(string bootstrap, string topic, byte[] value, CancellationToken ct)
    {
        using var producer = KafkaClients.BuildProducer(new Dictionary<string, string>
        {
            ["bootstrap.servers"] = bootstrap, ["linger.ms"] = "5", ["compression.type"] = "lz4", ["log_level"] = "3",
        });
        using var committer = KafkaClients.BuildConsumer(new Dictionary<string, string>
        {
            ["bootstrap.servers"] = bootstrap, ["group.id"] = "busy-sink", ["enable.auto.commit"] = "false", ["log_level"] = "3",
        });
        var tp = new TopicPartition(topic, 0);
        long end = 0;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        var tick = 0;
        while (await timer.WaitForNextTickAsync(ct))
        {
            for (var i = 0; i < options.Rate / 100; i++)
                producer.Produce(tp, new Message<byte[]?, byte[]?> { Value = value }, r => { if (!r.Error.IsError) Interlocked.Exchange(ref end, r.Offset.Value + 1); });
            if (++tick % 10 == 0 && Interlocked.Read(ref end) > 0)
            {
                var offset = Interlocked.Read(ref end);
                await KafkaBlocking.Run(() => committer.Commit([new TopicPartitionOffset(tp, offset)]), ct);
            }
        }
    }

    public async Task<string> KillAndRestartAsync(CancellationToken ct)
    {
        var dir = Path.Combine(workDir, "crash");
        Directory.CreateDirectory(dir);
        var input = Path.Combine(dir, "input.txt");
        var sinkFile = Path.Combine(dir, "output.txt");
        var dataDir = Path.Combine(dir, "data");
        var written = options.Lines;
        await File.WriteAllLinesAsync(input, Enumerable.Range(1, options.Lines).Select(Line), ct);
        output.WriteLine($"crash: {options.SiloDll}; {options.Lines} lines, then {options.LineRate} lines/s; save interval {options.IntervalMs} ms");

        var environment = new Dictionary<string, string>
        {
            ["CONNECT_OFFSET_FLUSH_INTERVAL_MS"] = "1000",
            ["CONNECT_EMBEDDED_BROKER_SNAPSHOT_INTERVAL_MS"] = options.IntervalMs.ToString(CultureInfo.InvariantCulture),
        };
        var port = FreePort();
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(60) };
        var firstLog = Path.Combine(dir, "silo-1.log");
        using var first = StartSilo(port, dataDir, firstLog, environment);
        await WaitHealthyAsync(first, client, firstLog, ct);
        foreach (var (name, config) in new[]
        {
            ("source", new Dictionary<string, string> { ["connector.class"] = "FileStreamSource", ["file"] = input, ["topic"] = "lines" }),
            ("sink", new Dictionary<string, string> { ["connector.class"] = "FileStreamSink", ["file"] = sinkFile, ["topics"] = "lines" }),
        })
        {
            config["value.converter"] = "org.apache.kafka.connect.storage.StringConverter";
            using var response = await client.PostAsJsonAsync("connectors", new { name, config }, ct);
            if (response.StatusCode != HttpStatusCode.Created) throw new InvalidOperationException($"create {name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
        }
        var bootstrap = Regex.Match(ReadLog(firstLog), @"Embedded Kafka broker listening on (\S+)").Groups[1].Value;
        using (var other = KafkaClients.BuildProducer(new Dictionary<string, string> { ["bootstrap.servers"] = bootstrap, ["log_level"] = "3" }))
            await other.ProduceAsync(new TopicPartition("other-client", 0), new Message<byte[]?, byte[]?> { Value = Encoding.UTF8.GetBytes("kept?") }, ct);

        using var stopWriting = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var perTick = Math.Max(1, options.LineRate / 20);
        var writer = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
            while (await timer.WaitForNextTickAsync(stopWriting.Token))
            {
                var from = Volatile.Read(ref written) + 1;
                await File.AppendAllLinesAsync(input, Enumerable.Range(from, perTick).Select(Line), stopWriting.Token);
                Interlocked.Add(ref written, perTick);
            }
        }, ct);
        int atKill, linesAtKill;
        bool otherKept;
        var restarted = Stopwatch.StartNew();
        try
        {
            await UntilAsync(() => Task.FromResult(CountLines(sinkFile) >= options.Lines), TimeSpan.FromSeconds(120), () => "the initial lines in the sink file", ct);
            await UntilAsync(() => Task.FromResult(Volatile.Read(ref written) >= options.Lines + options.StreamSeconds * options.LineRate),
                TimeSpan.FromSeconds(options.StreamSeconds * 3 + 30), () => "the stream", ct);
            first.Kill();
            await first.WaitForExitAsync(ct);
            atKill = CountLines(sinkFile);
            linesAtKill = Volatile.Read(ref written);
            output.WriteLine($"crash: kill -9 with {linesAtKill} lines in the input, {atKill} in the sink file");

            restarted.Restart();
            var secondLog = Path.Combine(dir, "silo-2.log");
            using var second = StartSilo(port, dataDir, secondLog, environment);
            await WaitHealthyAsync(second, client, secondLog, ct);
            bootstrap = Regex.Match(ReadLog(secondLog), @"Embedded Kafka broker listening on (\S+)").Groups[1].Value;
            otherKept = await KafkaBlocking.Run(() => HoldsRecord(bootstrap, "other-client"), ct);
            await UntilAsync(() => Task.FromResult(Volatile.Read(ref written) >= linesAtKill + 3 * options.LineRate), TimeSpan.FromSeconds(60), () => "the stream after the restart", ct);
            await stopWriting.CancelAsync();
            try { await writer; } catch (OperationCanceledException) { }
            var total = Volatile.Read(ref written);
            var caughtUp = Stopwatch.StartNew();
            try
            {
                await UntilAsync(() => Task.FromResult(Missing(sinkFile, total) == 0), TimeSpan.FromSeconds(120), () => $"every line in the sink file ({Missing(sinkFile, total)} missing)", ct,
                    TimeSpan.FromMilliseconds(500));
            }
            finally
            {
                Terminate(second.Id);
                await second.WaitForExitAsync(ct);
            }
            var lines = File.ReadAllLines(sinkFile);
            var duplicates = lines.Length - total;
            return $"""
                kill -9 mid-stream ({options.SiloDll}):
                  {linesAtKill:N0} input lines at the kill ({atKill:N0} in the sink file); {total:N0} in all
                  lines lost: {Missing(sinkFile, total)}; duplicates: {duplicates:N0}; another client's record {(otherKept ? "kept" : "LOST")}
                """;
        }
        finally
        {
            await stopWriting.CancelAsync();
            try { await writer; } catch (OperationCanceledException) { }
            if (!first.HasExited) first.Kill();
        }
    }

    private static string Line(int n) => $"{n:D9} line of the growing input file";

    private static int CountLines(string path)
    {
        if (!File.Exists(path)) return 0;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var buffer = new byte[1 << 16];
        var count = 0;
        int read;
        while ((read = stream.Read(buffer)) > 0) count += buffer.AsSpan(0, read).Count((byte)'\n');
        return count;
    }

    private static int Missing(string path, int total)
    {
        var seen = new bool[total + 1];
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
            if (line.Length >= 9 && int.TryParse(line.AsSpan(0, 9), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= total && line == Line(n))
                seen[n] = true;
        return seen.Skip(1).Count(s => !s);
    }

    private static bool HoldsRecord(string bootstrap, string topic)
    {
        using var consumer = KafkaClients.BuildConsumer(new Dictionary<string, string>
        {
            ["bootstrap.servers"] = bootstrap, ["group.id"] = "bench-" + Guid.NewGuid().ToString("N"), ["log_level"] = "0",
        });
        try
        {
            var marks = consumer.QueryWatermarkOffsets(new TopicPartition(topic, 0), TimeSpan.FromSeconds(10));
            return marks.High > marks.Low;
        }
        catch (KafkaException)
        {
            return false;
        }
    }

    private Process StartSilo(int port, string dataDir, string logPath, Dictionary<string, string> environment) =>
        StartLogged("dotnet", [options.SiloDll], workDir, logPath, new Dictionary<string, string>(environment)
        {
            ["CONNECT_REST_PORT"] = port.ToString(CultureInfo.InvariantCulture),
            ["CONNECT_REST_HOST_NAME"] = "127.0.0.1",
            ["CONNECT_DATA_DIR"] = dataDir,
            ["CONNECT_GROUP_ID"] = "embedded-log-bench",
        });

    private static async Task WaitHealthyAsync(Process silo, HttpClient client, string logPath, CancellationToken ct) =>
        await UntilAsync(async () =>
        {
            if (silo.HasExited) throw new InvalidOperationException($"The silo exited with code {silo.ExitCode}:\n{Tail(logPath)}");
            try
            {
                using var response = await client.GetAsync("health", ct);
                return response.StatusCode == HttpStatusCode.OK;
            }
            catch (HttpRequestException) { return false; }
        }, TimeSpan.FromSeconds(90), () => "GET /health 200", ct);

    /// <summary>The log's own lines (the restore's phases) on the bench's output.</summary>
    private sealed class WriterLogger(TextWriter output) : Microsoft.Extensions.Logging.ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => logLevel >= Microsoft.Extensions.Logging.LogLevel.Information;
        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) output.WriteLine($"log: {formatter(state, exception)}");
        }
    }
}
