using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using OrleansConnect.Grains.Kafka;

namespace OrleansConnect.Throughput;

/// <summary>The whole run: one embedded broker in this process, one input file, kcat and one silo process taking
/// turns against it, so every figure shares the broker, the machine, the topic layout and the data.</summary>
public sealed class Benchmark(BenchOptions options, string workDir, TextWriter output)
{
    private const string KcatTopic = "bench-kcat";
    private const string SourceStringTopic = "bench-source-string";
    private const string SourceJsonTopic = "bench-source-json";
    private static readonly TimeSpan StatusInterval = TimeSpan.FromSeconds(1);
    // Enough for the silo's hot paths to reach tiered JIT's optimised code before the first measured row: with 1,000
    // and even 50,000 lines, a profile of the first row still showed its per-record methods at tier 0 / instrumented
    // tier, and the first row ran ~1.5x slower than the same work later. Warm-up topics are 16 partitions as well.
    private const int WarmUpLines = 200_000;

    /// <summary>kcat finishes in about a second, where one hiccup (a slow first fetch, a page-cache miss) would decide
    /// its figure; the median of three runs does not depend on one.</summary>
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
    private string Count => options.Lines.ToString(CultureInfo.InvariantCulture);

    public async Task<IReadOnlyList<StageResult>> RunAsync(CancellationToken cancellationToken)
    {
        var lines = options.Lines;
        output.WriteLine($"Input: {lines.ToString("N0", CultureInfo.InvariantCulture)} lines of {options.LineBytes} bytes " +
            $"({ResultTable.Bytes((long)lines * options.LineBytes)}); topics of {options.Partitions} partitions; sampling every " +
            $"{options.PollInterval.TotalMilliseconds:0} ms; {Environment.ProcessorCount} cores; work dir {workDir}");
        await InputFile.WriteAsync(Input, lines, options.LineBytes, cancellationToken);
        var input = await InputLines.LoadAsync(Input, lines, options.LineBytes, cancellationToken);

        using var broker = EmbeddedKafkaBroker.Start(3);
        foreach (var topic in new[] { SourceStringTopic, SourceJsonTopic }) broker.CreateTopic(topic, options.Partitions, 1);
        // The silo's offsets topic too: the embedded broker cannot create topics through the admin API.
        broker.CreateTopic(SiloHost.OffsetsTopic, 5, 1);
        output.WriteLine($"Embedded broker (3 mock brokers, in this process): {broker.BootstrapServers}");
        using var probe = new TopicProbe(broker.BootstrapServers, options.Partitions);
        var results = new List<StageResult>();

        // 1. kcat -P: null keys, so librdkafka's default partitioner spreads the lines over the partitions, as the
        // silo's producer does. Each run gets its own topic; the first is the one read back by every sink row.
        var produceRuns = new List<StageResult>();
        for (var run = 1; run <= KcatRuns; run++)
        {
            var topic = run == 1 ? KcatTopic : $"{KcatTopic}-{run}";
            broker.CreateTopic(topic, options.Partitions, 1);
            produceRuns.Add(await MeasureKcatAsync($"kcat -P run {run}", topic,
                ["-b", broker.BootstrapServers, "-P", "-t", topic, "-X", "compression.codec=lz4", "-l", Input],
                "kcat-produce", () => probe.Records(topic), null, cancellationToken));
            await probe.RequireCompleteAsync(topic, lines, cancellationToken);
        }
        var kcatProduce = Median($"kcat -P -l (lz4), median of {KcatRuns}", produceRuns);
        results.Add(kcatProduce);

        // 1b. The .NET client's own ceiling: a tight Produce loop with the silo's source producer settings.
        var dotNetRuns = new List<StageResult>();
        for (var run = 1; run <= KcatRuns; run++)
        {
            var topic = $"bench-dotnet-produce-{run}";
            broker.CreateTopic(topic, options.Partitions, 1);
            var clock = Stopwatch.StartNew();
            var producing = DotNetClientLoops.ProduceAsync(broker.BootstrapServers, topic, Input, options.LineBytes, cancellationToken);
            var progress = await Sampler.RunAsync(clock, lines, options.PollInterval, options.StageTimeout, () => probe.Records(topic), null,
                () => producing.IsFaulted ? producing.Exception : null, () => $"{topic} to hold {lines} records", cancellationToken);
            await producing;
            dotNetRuns.Add(Report(Result($".NET client Produce loop run {run}", progress, kcatProduce)));
            await probe.RequireCompleteAsync(topic, lines, cancellationToken);
        }
        var dotNetProduce = Median($".NET client Produce loop (idempotent, lz4), median of {KcatRuns}", dotNetRuns) with { Baseline = kcatProduce };
        results.Add(dotNetProduce);

        // 2. The silo. Process start is not part of any figure: the clock of a row starts at its POST /connectors.
        var (silo, startTime) = await SiloHost.StartAsync(options.SiloDll, broker.BootstrapServers, workDir, options.StageTimeout, options.Metrics, cancellationToken);
        await using var _ = silo;
        output.WriteLine($"Silo started in {startTime.TotalSeconds:0.000} s (process start to GET /health 200; not part of any figure below)");
        using var scraping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var scraper = options.Metrics ? silo.ScrapeMetricsAsync(TimeSpan.FromMilliseconds(options.ScrapeMs), scraping.Token) : Task.FromResult((0, 0L));
        output.WriteLine(options.Metrics
            ? $"Metrics on: GET /metrics scraped every {options.ScrapeMs} ms while the silo runs"
            : "Metrics off: metrics.enable=false (no exporter, /metrics answers 404)");
        await WarmUpAsync(silo, probe, broker, cancellationToken);

        // 3. FileStreamSource, into topics laid out as kcat's.
        foreach (var (name, topic, converters) in new[]
                 {
                     ("StringConverter", SourceStringTopic, WorkerConverters),
                     ("JsonConverter (schemas)", SourceJsonTopic, JsonConverters),
                 })
        {
            var result = Report(await MeasureSourceAsync(silo, probe, $"OrleansConnect FileStreamSource, {name}", topic,
                topic, converters, kcatProduce, Input, lines, cancellationToken) with { DotNet = dotNetProduce });
            await probe.RequireCompleteAsync(topic, lines, cancellationToken);
            results.Add(result);
        }
        await ReportTopicSizesAsync(probe, cancellationToken);

        // 4. kcat -C: assigns every partition itself (no group), from the beginning, until it has every line.
        var consumeRuns = new List<StageResult>();
        for (var run = 1; run <= KcatRuns; run++)
        {
            await probe.RequireCompleteAsync(KcatTopic, lines, cancellationToken);
            var file = Path.Combine(workDir, $"kcat-consume-{run}.txt");
            consumeRuns.Add(await MeasureKcatToFileAsync($"kcat -C run {run}", file,
                ["-b", broker.BootstrapServers, "-C", "-t", KcatTopic, "-o", "beginning", "-e", "-c", Count, "-q"], groupAssignment: false, cancellationToken));
            await input.RequireSameLinesAsync(file, cancellationToken);
            File.Delete(file);
        }
        var kcatConsume = Median($"kcat -C -e (no group), median of {KcatRuns}", consumeRuns);
        results.Add(kcatConsume);

        // 5. kcat -G: a new consumer group each run, so kcat pays the group join as a sink does. Not quiet: it reports
        // its assignment on stderr, which gives the group's first assignment. Once with librdkafka's defaults, once with
        // the silo's sinks' change (WorkerSinkTask: fetch.queue.backoff.ms=10, the wait after the fetch queue was full):
        // like for like. kcat links Debian's librdkafka 2.0.2, which has no fetch.queue.backoff.ms (and lowering its
        // fetch.error.backoff.ms did not help it), so kcat gets the stall removed the other way: a queue threshold it
        // never reaches (queued.min.messages = the line count; it then buffers what it fetched, memory permitting).
        var kcatGroup = await MeasureKcatGroupAsync("kcat -G (group, librdkafka defaults)", "bench-kcat-group", [], input, probe, broker, cancellationToken);
        results.Add(kcatGroup);
        var kcatGroupTuned = await MeasureKcatGroupAsync("kcat -G (group, queued.min.messages=lines)", "bench-kcat-group-tuned",
            ["-X", $"queued.min.messages={Count}"], input, probe, broker, cancellationToken);
        results.Add(kcatGroupTuned);

        // 5b. The .NET client's own ceiling: a group consumer with the sinks' settings, counting records and nothing more.
        var consumerRuns = new List<StageResult>();
        for (var run = 1; run <= KcatRuns; run++)
        {
            await probe.RequireCompleteAsync(KcatTopic, lines, cancellationToken);
            var counted = new StrongBox<long>();
            var clock = Stopwatch.StartNew();
            var consuming = DotNetClientLoops.ConsumeAsync(broker.BootstrapServers, KcatTopic, $"bench-dotnet-group-{run}", lines, counted, cancellationToken);
            var progress = await Sampler.RunAsync(clock, lines, options.PollInterval, options.StageTimeout, () => Interlocked.Read(ref counted.Value), null,
                () => consuming.IsFaulted ? consuming.Exception : null, () => $"the .NET consumer to count {lines} records", cancellationToken);
            await consuming;
            consumerRuns.Add(Report(Result($".NET client consumer (group) run {run}", progress, kcatGroupTuned)));
        }
        var dotNetConsume = Median($".NET client consumer (group), median of {KcatRuns}", consumerRuns) with { Baseline = kcatGroupTuned };
        results.Add(dotNetConsume);

        // 6. FileStreamSink: from the kcat topic (raw lines) with StringConverter, and from the JsonConverter source's
        // topic with JsonConverter. Compared with kcat -G configured as the sink's consumer (both join a group); kcat -C
        // is the no-group ceiling.
        foreach (var (name, connector, topic, converters) in new[]
                 {
                     ("StringConverter", "bench-sink-string", KcatTopic, WorkerConverters),
                     ("JsonConverter (schemas)", "bench-sink-json", SourceJsonTopic, JsonConverters),
                 })
        {
            await probe.RequireCompleteAsync(topic, lines, cancellationToken);
            results.Add(Report(await MeasureSinkAsync(silo, $"OrleansConnect FileStreamSink, {name}", connector, topic, converters, kcatGroupTuned,
                input, lines, cancellationToken) with { DotNet = dotNetConsume }));
        }
        await scraping.CancelAsync();
        var (scrapes, scrapedBytes) = await scraper;
        if (options.Metrics) output.WriteLine($"{scrapes} scrapes of GET /metrics, {scrapedBytes / Math.Max(1, scrapes) / 1024.0:0.0} KiB each on average");
        return results;
    }

    private async Task<StageResult> MeasureKcatGroupAsync(string stage, string group, IReadOnlyList<string> extra, InputLines input,
        TopicProbe probe, EmbeddedKafkaBroker broker, CancellationToken cancellationToken)
    {
        var runs = new List<StageResult>();
        for (var run = 1; run <= KcatRuns; run++)
        {
            await probe.RequireCompleteAsync(KcatTopic, options.Lines, cancellationToken);
            var file = Path.Combine(workDir, $"{group}-{run}.txt");
            runs.Add(await MeasureKcatToFileAsync($"{stage} run {run}", file,
                ["-b", broker.BootstrapServers, "-G", $"{group}-{run}", "-X", "auto.offset.reset=earliest", .. extra, "-c", Count, KcatTopic],
                groupAssignment: true, cancellationToken));
            await input.RequireSameLinesAsync(file, cancellationToken);
            File.Delete(file);
        }
        return Median($"{stage}, median of {KcatRuns}", runs);
    }

    /// <summary>kcat -P: from process start; the sampler watches the topic's records while kcat runs.</summary>
    private async Task<StageResult> MeasureKcatAsync(string stage, string topic, IReadOnlyList<string> args, string outputName,
        Func<long> records, Func<TimeSpan?>? assignment, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        using var process = ExternalProcess.Start("kcat", args, workDir, Path.Combine(workDir, outputName + ".out"), Path.Combine(workDir, outputName + ".err"));
        var progress = await Sampler.RunAsync(clock, options.Lines, options.PollInterval, options.StageTimeout, records, assignment,
            () => ExitedBadly(process, outputName), () => $"{topic} to hold {options.Lines} records", cancellationToken);
        await WaitForSuccessAsync(process, outputName, cancellationToken);
        return Report(Result(stage, progress, null));
    }

    /// <summary>kcat -C / -G into a file: from process start; the sampler counts the file's lines while kcat runs.</summary>
    private async Task<StageResult> MeasureKcatToFileAsync(string stage, string file, IReadOnlyList<string> args, bool groupAssignment,
        CancellationToken cancellationToken)
    {
        var errors = file + ".err";
        using var lines = new LineFile(file);
        using var stderr = new LogReader(errors);
        var clock = Stopwatch.StartNew();
        using var process = ExternalProcess.Start("kcat", args, workDir, file, errors);
        // kcat -G prints "% Group ... rebalanced ... assigned: ..." when its group hands it partitions.
        Func<TimeSpan?>? assignment = groupAssignment
            ? () => stderr.NewLines().Any(l => l.Contains("rebalanced", StringComparison.Ordinal) && l.Contains("assigned", StringComparison.Ordinal)) ? clock.Elapsed : null
            : null;
        var progress = await Sampler.RunAsync(clock, options.Lines, options.PollInterval, options.StageTimeout, lines.Count, assignment,
            () => ExitedBadly(process, Path.GetFileName(file)), () => $"{file} to have {options.Lines} lines", cancellationToken);
        await WaitForSuccessAsync(process, Path.GetFileName(file), cancellationToken);
        return Report(Result(stage, progress, null));
    }

    private static Exception? ExitedBadly(Process process, string what) =>
        process.HasExited && process.ExitCode != 0 ? new InvalidOperationException($"kcat ({what}) exited with {process.ExitCode}.") : null;

    private async Task WaitForSuccessAsync(Process process, string what, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.StageTimeout);
        await process.WaitForExitAsync(deadline.Token);
        if (process.ExitCode != 0) throw new InvalidOperationException($"kcat ({what}) exited with {process.ExitCode}.");
    }

    /// <summary>From POST /connectors: the topic's records (sum of high watermarks) until they reach the line count.</summary>
    private async Task<StageResult> MeasureSourceAsync(SiloHost silo, TopicProbe probe, string stage, string connector, string topic,
        IReadOnlyDictionary<string, string> converters, StageResult? baseline, string input, int lines, CancellationToken cancellationToken)
    {
        var config = new Dictionary<string, string>(converters)
        {
            ["connector.class"] = "FileStreamSource",
            ["tasks.max"] = "1",
            ["file"] = input,
            ["topic"] = topic,
        };
        var progress = await WithFailureWatchAsync(silo, connector, cancellationToken, async failure =>
        {
            var clock = Stopwatch.StartNew();
            await silo.CreateConnectorAsync(connector, config, cancellationToken);
            return await Sampler.RunAsync(clock, lines, options.PollInterval, options.StageTimeout, () => probe.Records(topic), null, failure,
                () => $"{topic} to hold {lines} records\n{silo.LogTail()}", cancellationToken);
        });
        await silo.DeleteConnectorAsync(connector, cancellationToken);
        return Result(stage, progress, baseline);
    }

    /// <summary>From POST /connectors: the output file's lines until they reach the line count; then every input line
    /// must be in it exactly once (partitions interleave, so not in input order).</summary>
    private async Task<StageResult> MeasureSinkAsync(SiloHost silo, string stage, string connector, string topic,
        IReadOnlyDictionary<string, string> converters, StageResult? baseline, InputLines? input, int lines, CancellationToken cancellationToken)
    {
        using var file = new LineFile(Path.Combine(workDir, connector + ".txt"));
        var config = new Dictionary<string, string>(converters)
        {
            ["connector.class"] = "FileStreamSink",
            ["tasks.max"] = "1",
            ["file"] = file.Path,
            ["topics"] = topic,
        };
        var progress = await WithFailureWatchAsync(silo, connector, cancellationToken, async failure =>
        {
            var postedAt = DateTime.Now;
            var clock = Stopwatch.StartNew();
            await silo.CreateConnectorAsync(connector, config, cancellationToken);
            return await Sampler.RunAsync(clock, lines, options.PollInterval, options.StageTimeout, file.Count, () => silo.AssignedSince(connector, postedAt),
                failure, () => $"{file.Path} to have {lines} lines\n{silo.LogTail()}", cancellationToken);
        });
        await silo.DeleteConnectorAsync(connector, cancellationToken);
        if (input is not null) await input.RequireSameLinesAsync(file.Path, cancellationToken);
        else if (file.Count() != lines) throw new InvalidOperationException($"{file.Path} has {file.Lines} lines, not {lines}.");
        File.Delete(file.Path);
        return Result(stage, progress, baseline);
    }

    /// <summary>Runs a stage while asking the connector's status every second, so a FAILED task ends the stage at
    /// once with its trace instead of at the timeout.</summary>
    private static async Task<Progress> WithFailureWatchAsync(SiloHost silo, string connector, CancellationToken cancellationToken,
        Func<Func<Exception?>, Task<Progress>> stage)
    {
        Exception? failed = null;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watch = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(StatusInterval);
            try
            {
                while (await timer.WaitForNextTickAsync(stop.Token))
                    await silo.ThrowIfFailedAsync(connector, stop.Token);
            }
            catch (OperationCanceledException) { }
            catch (Exception e)
            {
                Volatile.Write(ref failed, e);
            }
        }, CancellationToken.None);
        try
        {
            return await stage(() => Volatile.Read(ref failed));
        }
        finally
        {
            await stop.CancelAsync();
            await watch;
        }
    }

    /// <summary>One small source and sink pipeline per converter, untimed, so that JIT compilation and first-use costs
    /// inside the silo are not charged to whichever measured row happens to run first.</summary>
    private async Task WarmUpAsync(SiloHost silo, TopicProbe probe, EmbeddedKafkaBroker broker, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var input = Path.Combine(workDir, "warm-up.txt");
        await InputFile.WriteAsync(input, WarmUpLines, options.LineBytes, cancellationToken);
        foreach (var (kind, converters) in new[] { ("string", WorkerConverters), ("json", JsonConverters) })
        {
            var topic = "bench-warm-up-" + kind;
            broker.CreateTopic(topic, options.Partitions, 1);
            await MeasureSourceAsync(silo, probe, "warm-up", $"warm-up-source-{kind}", topic, converters, null, input, WarmUpLines, cancellationToken);
            await MeasureSinkAsync(silo, "warm-up", $"warm-up-sink-{kind}", topic, converters, null, null, WarmUpLines, cancellationToken);
        }
        output.WriteLine($"Silo warmed up in {clock.Elapsed.TotalSeconds:0.000} s ({WarmUpLines:N0} lines through a source and a sink per converter; untimed)");
    }

    /// <summary>How close the topics are to the embedded broker's 5 MiB per partition; measured outside every timed row.</summary>
    private async Task ReportTopicSizesAsync(TopicProbe probe, CancellationToken cancellationToken)
    {
        foreach (var topic in new[] { KcatTopic, SourceStringTopic, SourceJsonTopic })
        {
            var (bytes, largest) = await probe.MeasureRetainedAsync(topic, options.StageTimeout, cancellationToken);
            output.WriteLine($"Topic {topic}: {options.Lines:N0} records in {options.Partitions} partitions (largest {largest:N0}), ~{ResultTable.Bytes(bytes)} retained " +
                $"(lz4), ~{ResultTable.Bytes(bytes / options.Partitions)} per partition (cap 5 MiB)");
        }
    }

    private static StageResult Result(string stage, Progress progress, StageResult? baseline) =>
        new(stage, progress.Final, progress.First, progress.SteadyRate, progress.Done, progress.Assigned, baseline);

    private StageResult Report(StageResult r)
    {
        var assigned = r.Assigned is { } a ? $", group assigned at {a.TotalSeconds:0.000} s" : "";
        output.WriteLine($"  {r.Stage}: first record at {r.FirstRecord.TotalSeconds:0.000} s{assigned}, " +
            $"{r.SteadyRate.ToString("N0", CultureInfo.InvariantCulture)} records/s between 10 % and 90 %, all at {r.Total.TotalSeconds:0.000} s");
        return r;
    }

    /// <summary>The median of each figure over the runs, each taken on its own.</summary>
    private static StageResult Median(string stage, IReadOnlyList<StageResult> runs)
    {
        T Mid<T>(Func<StageResult, T> figure) => runs.Select(figure).Order().ElementAt(runs.Count / 2);
        var assigned = runs.All(r => r.Assigned is not null) ? Mid(r => r.Assigned!.Value) : (TimeSpan?)null;
        return new StageResult(stage, runs[0].Records, Mid(r => r.FirstRecord), Mid(r => r.SteadyRate), Mid(r => r.Total), assigned, null);
    }
}
