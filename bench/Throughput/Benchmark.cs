using System.Diagnostics;
using System.Globalization;
using OrleansConnect.Grains.Kafka;

namespace OrleansConnect.Throughput;

/// <summary>The whole run: one embedded broker in this process, one input file, kcat and one silo process
/// taking turns against it, so every figure shares the broker, the machine and the data.</summary>
public sealed class Benchmark(BenchOptions options, string workDir, TextWriter output)
{
    private const string KcatTopic = "bench-kcat";
    private const string SourceStringTopic = "bench-source-string";
    private const string SourceJsonTopic = "bench-source-json";
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan StatusInterval = TimeSpan.FromSeconds(1);
    private const int WarmUpLines = 1_000;

    /// <summary>kcat finishes in a fraction of a second, where one hiccup (a slow first fetch, a page-cache miss)
    /// would decide its figure; the median of three runs does not depend on one.</summary>
    private const int KcatRuns = 3;

    /// <summary>No override: the worker's StringConverter (see <see cref="SiloHost"/>).</summary>
    private static readonly Dictionary<string, string> WorkerConverters = new();

    /// <summary>The JsonConverter a stock Kafka Connect worker uses: every value wrapped in its schema.</summary>
    private static readonly Dictionary<string, string> JsonConverters = new()
    {
        ["key.converter"] = SiloHost.JsonConverter,
        ["key.converter.schemas.enable"] = "true",
        ["value.converter"] = SiloHost.JsonConverter,
        ["value.converter.schemas.enable"] = "true",
    };

    private string Input => Path.Combine(workDir, "input.txt");

    public async Task<IReadOnlyList<StageResult>> RunAsync(CancellationToken cancellationToken)
    {
        var lines = options.Lines;
        output.WriteLine($"Input: {lines.ToString("N0", CultureInfo.InvariantCulture)} lines of {options.LineBytes} bytes " +
            $"({ResultTable.Bytes((long)lines * options.LineBytes)}); {Environment.ProcessorCount} cores; work dir {workDir}");
        await InputFile.WriteAsync(Input, lines, options.LineBytes, cancellationToken);

        using var broker = EmbeddedKafkaBroker.Start(3);
        foreach (var topic in new[] { KcatTopic, SourceStringTopic, SourceJsonTopic }) broker.CreateTopic(topic, 1, 1);
        // The silo's offsets topic too: the embedded broker cannot create topics through the admin API.
        broker.CreateTopic(SiloHost.OffsetsTopic, 5, 1);
        output.WriteLine($"Embedded broker (3 mock brokers, in this process): {broker.BootstrapServers}");
        using var probe = new TopicProbe(broker.BootstrapServers);
        var results = new List<StageResult>();

        // 1. kcat -P: until kcat exits, which it does once every message is acknowledged. Each run gets its own
        // topic (one partition each; the first is the one read back in stages 3 and 4).
        var produceTimes = new List<TimeSpan>();
        for (var run = 1; run <= KcatRuns; run++)
        {
            var topic = KcatTopicOfRun(run);
            broker.CreateTopic(topic, 1, 1);
            produceTimes.Add(await ExternalProcess.RunTimedAsync("kcat",
                ["-b", broker.BootstrapServers, "-P", "-t", topic, "-p", "0", "-X", "compression.codec=lz4", "-l", Input],
                workDir, Path.Combine(workDir, "kcat-produce.out"), Path.Combine(workDir, "kcat-produce.err"), options.StageTimeout, cancellationToken));
            await probe.RequireCompleteAsync(topic, lines, cancellationToken);
        }
        var kcatProduce = Report(new StageResult($"kcat -P -l (lz4), median of {KcatRuns}", lines, Median(produceTimes), null), produceTimes);
        results.Add(kcatProduce);

        // 2. The silo's FileStreamSource. Process start is not throughput: the clock starts once /health is 200.
        var (silo, startTime) = await SiloHost.StartAsync(options.SiloDll, broker.BootstrapServers, workDir, options.StageTimeout, cancellationToken);
        await using var _ = silo;
        output.WriteLine($"Silo started in {startTime.TotalSeconds:0.000} s (process start to GET /health 200; not part of any figure below)");
        await WarmUpAsync(silo, probe, broker, kcatProduce, cancellationToken);
        results.Add(Report(await MeasureSourceAsync(silo, probe, "FileStreamSource, StringConverter", "bench-source-string", SourceStringTopic,
            WorkerConverters, kcatProduce, Input, lines, cancellationToken)));
        results.Add(Report(await MeasureSourceAsync(silo, probe, "FileStreamSource, JsonConverter (schemas)", "bench-source-json", SourceJsonTopic,
            JsonConverters, kcatProduce, Input, lines, cancellationToken)));

        await ReportTopicSizesAsync(probe, cancellationToken);

        // 3. kcat -C from the beginning of the kcat topic into a file, until it exits after N lines.
        var consumeTimes = new List<TimeSpan>();
        var kcatOutput = Path.Combine(workDir, "kcat-consume.txt");
        for (var run = 1; run <= KcatRuns; run++)
        {
            await probe.RequireCompleteAsync(KcatTopic, lines, cancellationToken);
            consumeTimes.Add(await ExternalProcess.RunTimedAsync("kcat",
                ["-b", broker.BootstrapServers, "-C", "-t", KcatTopic, "-p", "0", "-o", "beginning", "-e", "-c", lines.ToString(CultureInfo.InvariantCulture), "-q"],
                workDir, kcatOutput, Path.Combine(workDir, "kcat-consume.err"), options.StageTimeout, cancellationToken));
            await LineFile.RequireSameContentAsync(Input, kcatOutput, cancellationToken);
        }
        var kcatConsume = Report(new StageResult($"kcat -C -e, median of {KcatRuns}", lines, Median(consumeTimes), null), consumeTimes);
        results.Add(kcatConsume);

        // 4. The silo's FileStreamSink: from the kcat topic (raw lines), and from the JsonConverter topic of stage 2.
        await probe.RequireCompleteAsync(KcatTopic, lines, cancellationToken);
        results.Add(Report(await MeasureSinkAsync(silo, "FileStreamSink, StringConverter", "bench-sink-string", KcatTopic,
            WorkerConverters, kcatConsume, Input, lines, cancellationToken)));
        await probe.RequireCompleteAsync(SourceJsonTopic, lines, cancellationToken);
        results.Add(Report(await MeasureSinkAsync(silo, "FileStreamSink, JsonConverter (schemas)", "bench-sink-json", SourceJsonTopic,
            JsonConverters, kcatConsume, Input, lines, cancellationToken)));
        return results;
    }

    /// <summary>Time from POST /connectors until the topic's high watermark reaches the file's line count.</summary>
    private async Task<StageResult> MeasureSourceAsync(SiloHost silo, TopicProbe probe, string stage, string connector, string topic,
        IReadOnlyDictionary<string, string> converters, StageResult baseline, string input, int lines, CancellationToken cancellationToken)
    {
        var config = new Dictionary<string, string>(converters)
        {
            ["connector.class"] = "FileStreamSource",
            ["tasks.max"] = "1",
            ["file"] = input,
            ["topic"] = topic,
        };
        long high = 0;
        TimeSpan? first = null;
        var clock = Stopwatch.StartNew();
        await silo.CreateConnectorAsync(connector, config, cancellationToken);
        var checkedAt = TimeSpan.Zero;
        await Poll.UntilAsync(async () =>
        {
            high = (await probe.WatermarksAsync(topic, cancellationToken)).High.Value;
            if (high > 0) first ??= clock.Elapsed;
            if (high >= lines) return true;
            if (clock.Elapsed - checkedAt > StatusInterval)
            {
                checkedAt = clock.Elapsed;
                await silo.ThrowIfFailedAsync(connector, cancellationToken);
            }
            return false;
        }, options.StageTimeout, PollInterval, () => $"{topic}'s high watermark to reach {lines} (it is {high})\n{silo.LogTail()}", cancellationToken);
        clock.Stop();
        await silo.DeleteConnectorAsync(connector, cancellationToken);
        if (high != lines)
            throw new InvalidOperationException($"{connector} wrote {high} records for {lines} lines: duplicates.");
        return new StageResult("OrleansConnect " + stage, lines, clock.Elapsed, baseline, first);
    }

    /// <summary>Time from POST /connectors until the output file has the input's line count (then checked byte for byte).</summary>
    private async Task<StageResult> MeasureSinkAsync(SiloHost silo, string stage, string connector, string topic,
        IReadOnlyDictionary<string, string> converters, StageResult baseline, string input, int lines, CancellationToken cancellationToken)
    {
        var file = new LineFile(Path.Combine(workDir, connector + ".txt"));
        var config = new Dictionary<string, string>(converters)
        {
            ["connector.class"] = "FileStreamSink",
            ["tasks.max"] = "1",
            ["file"] = file.Path,
            ["topics"] = topic,
        };
        TimeSpan? first = null;
        var clock = Stopwatch.StartNew();
        await silo.CreateConnectorAsync(connector, config, cancellationToken);
        var checkedAt = TimeSpan.Zero;
        await Poll.UntilAsync(async () =>
        {
            var count = await file.CountAsync(cancellationToken);
            if (count > 0) first ??= clock.Elapsed;
            if (count >= lines) return true;
            if (clock.Elapsed - checkedAt > StatusInterval)
            {
                checkedAt = clock.Elapsed;
                await silo.ThrowIfFailedAsync(connector, cancellationToken);
            }
            return false;
        }, options.StageTimeout, PollInterval, () => $"{file.Path} to have {lines} lines (it has {file.Lines})\n{silo.LogTail()}", cancellationToken);
        clock.Stop();
        await silo.DeleteConnectorAsync(connector, cancellationToken);
        await LineFile.RequireSameContentAsync(input, file.Path, cancellationToken);
        return new StageResult("OrleansConnect " + stage, lines, clock.Elapsed, baseline, first);
    }

    /// <summary>One small source and sink pipeline per converter, untimed, so that JIT compilation and first-use
    /// costs inside the silo are not charged to whichever measured row happens to run first.</summary>
    private async Task WarmUpAsync(SiloHost silo, TopicProbe probe, EmbeddedKafkaBroker broker, StageResult baseline, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var input = Path.Combine(workDir, "warm-up.txt");
        await InputFile.WriteAsync(input, WarmUpLines, options.LineBytes, cancellationToken);
        foreach (var (kind, converters) in new[] { ("string", WorkerConverters), ("json", JsonConverters) })
        {
            var topic = "bench-warm-up-" + kind;
            broker.CreateTopic(topic, 1, 1);
            await MeasureSourceAsync(silo, probe, "warm-up", $"warm-up-source-{kind}", topic, converters, baseline, input, WarmUpLines, cancellationToken);
            await MeasureSinkAsync(silo, "warm-up", $"warm-up-sink-{kind}", topic, converters, baseline, input, WarmUpLines, cancellationToken);
        }
        output.WriteLine($"Silo warmed up in {clock.Elapsed.TotalSeconds:0.000} s ({WarmUpLines:N0} lines through a source and a sink per converter; untimed)");
    }

    /// <summary>How close each topic is to the embedded broker's 5 MiB per partition; measured outside every timed stage.</summary>
    private async Task ReportTopicSizesAsync(TopicProbe probe, CancellationToken cancellationToken)
    {
        foreach (var topic in new[] { KcatTopic, SourceStringTopic, SourceJsonTopic })
        {
            var marks = await probe.WatermarksAsync(topic, cancellationToken);
            var bytes = await probe.MeasureRetainedBytesAsync(topic, options.StageTimeout, cancellationToken);
            output.WriteLine($"Topic {topic}: offsets [{marks.Low.Value}, {marks.High.Value}), ~{ResultTable.Bytes(bytes)} retained (lz4; cap 5 MiB per partition)");
        }
    }

    private StageResult Report(StageResult result, IReadOnlyList<TimeSpan>? runs = null)
    {
        var detail = result.FirstOutput is { } f ? $" (first line after {f.TotalSeconds:0.000} s)"
            : runs is not null ? $" (runs: {string.Join(", ", runs.Select(r => r.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture)))} s)"
            : "";
        output.WriteLine($"  {result.Stage}: {result.Elapsed.TotalSeconds:0.000} s, {result.LinesPerSecond.ToString("N0", CultureInfo.InvariantCulture)} lines/s{detail}");
        return result;
    }

    private static TimeSpan Median(IReadOnlyList<TimeSpan> runs) => runs.Order().ElementAt(runs.Count / 2);

    private static string KcatTopicOfRun(int run) => run == 1 ? KcatTopic : $"{KcatTopic}-{run}";
}
