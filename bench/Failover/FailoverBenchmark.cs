using System.Diagnostics;
using System.Globalization;
using System.Text;
using Confluent.Kafka;
using OrleansConnect.Bench;
using OrleansConnect.Grains.Kafka;

namespace OrleansConnect.Failover;

/// <summary>One throwaway PostgreSQL and one embedded broker (both outlive every silo), then per membership
/// setting: a 3-silo cluster, sink connectors spread over it, and repeated kill -9 of a silo that hosts tasks.</summary>
public sealed class FailoverBenchmark(FailoverOptions options, string workDir, TextWriter output)
{
    private const int Partitions = 3;
    private const int Silos = 3;
    private const string StringConverter = "org.apache.kafka.connect.storage.StringConverter";
    private static readonly TimeSpan StatusPoll = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan SettleQuiet = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan MarkerTimeout = TimeSpan.FromSeconds(20);

    public sealed record Run(int Number, string Victim, int Tasks, TimeSpan Running, TimeSpan? Consuming);

    public sealed record SettingResult(MembershipSetting Setting, IReadOnlyList<Run> Runs);

    public async Task<IReadOnlyList<SettingResult>> RunAsync(CancellationToken cancellationToken)
    {
        output.WriteLine($"{Environment.ProcessorCount} cores; {options.Connectors} FileStreamSink connectors × {options.Tasks} tasks on " +
            $"{Partitions}-partition topics; {Silos} silos; {options.Runs} kills per setting; work dir {workDir}");
        await using var postgres = new PostgresServer(maxConnections: 300);
        await postgres.StartAsync(cancellationToken);
        output.WriteLine($"PostgreSQL 15 on 127.0.0.1:{postgres.Port}");
        using var broker = EmbeddedKafkaBroker.Start(3);
        // The embedded broker cannot create topics through the admin API: the offsets topic up front.
        broker.CreateTopic("connect-offsets", 25, 3);
        output.WriteLine($"Embedded broker (3 mock brokers, in this process): {broker.BootstrapServers}");
        _bootstrapServers = broker.BootstrapServers;
        using var producer = new ProducerBuilder<string?, string>(new ProducerConfig { BootstrapServers = broker.BootstrapServers, LingerMs = 0 }).Build();

        var results = new List<SettingResult>();
        for (var s = 0; s < options.Settings.Count; s++)
            results.Add(await MeasureSettingAsync(s, options.Settings[s], postgres, broker, producer, cancellationToken));
        return results;
    }

    private async Task<SettingResult> MeasureSettingAsync(int index, MembershipSetting setting, PostgresServer postgres, EmbeddedKafkaBroker broker,
        IProducer<string?, string> producer, CancellationToken cancellationToken)
    {
        output.WriteLine();
        output.WriteLine($"== {setting}");
        var prefix = $"s{index}";
        var connectionString = await postgres.CreateDatabaseAsync($"failover_{prefix}_{Guid.NewGuid():N}"[..24], cancellationToken);
        var settings = new Dictionary<string, string>
        {
            ["bootstrap.servers"] = broker.BootstrapServers,
            ["group.id"] = $"failover-{prefix}-{Guid.NewGuid():N}"[..20],
            ["cluster.membership.provider"] = "postgresql",
            ["storage.provider"] = "postgresql",
            ["storage.connection.string"] = connectionString,
            ["membership.probe.period.ms"] = setting.ProbeMs.ToString(CultureInfo.InvariantCulture),
            ["silo.death.timeout.ms"] = setting.DeathMs.ToString(CultureInfo.InvariantCulture),
            // A re-activated sink joins its group at once, but the group waits for the dead member's session to expire
            // before it hands out the partitions: keep that near the death timeout (as the cluster tests do).
            ["consumer.session.timeout.ms"] = "6000",
            ["consumer.heartbeat.interval.ms"] = "1000",
            ["offset.flush.interval.ms"] = "1000",
            ["offset.storage.replication.factor"] = "1",
            ["key.converter"] = StringConverter,
            ["value.converter"] = StringConverter,
        };
        var silos = Enumerable.Range(0, Silos).Select(i => new SiloNode(options.SiloDll, Path.Combine(workDir, prefix, "silo" + i), settings)).ToList();
        try
        {
            foreach (var silo in silos)
            {
                var clock = Stopwatch.StartNew();
                await silo.StartAsync(TimeSpan.FromSeconds(90), cancellationToken);
                output.WriteLine($"silo {silo.WorkerId} (silo port {silo.SiloPort}) healthy after {clock.Elapsed.TotalSeconds:0.0} s");
            }

            var names = new List<string>();
            for (var c = 0; c < options.Connectors; c++)
            {
                var name = $"{prefix}-sink-{c}";
                broker.CreateTopic(Topic(name), Partitions, 1);
                // Spread the creates over the silos: placement decides where the tasks run, every silo answers REST.
                await silos[c % Silos].CreateConnectorAsync(name, new Dictionary<string, string>
                {
                    ["connector.class"] = "FileStreamSink",
                    ["tasks.max"] = options.Tasks.ToString(CultureInfo.InvariantCulture),
                    ["topics"] = Topic(name),
                    ["file"] = OutputFile(name),
                }, cancellationToken);
                names.Add(name);
            }
            await SettleAsync(silos, names, cancellationToken);

            var runs = new List<Run>();
            for (var run = 1; run <= options.Runs; run++)
            {
                runs.Add(await KillOnceAsync(run, prefix, silos, names, producer, cancellationToken));
                await SettleAsync(silos, names, cancellationToken);
            }
            return new SettingResult(setting, runs);
        }
        finally
        {
            await Task.WhenAll(silos.Select(s => s.DisposeAsync().AsTask()));
        }
    }

    private async Task<Run> KillOnceAsync(int run, string prefix, List<SiloNode> silos, List<string> names, IProducer<string?, string> producer,
        CancellationToken cancellationToken)
    {
        var placed = await silos[0].TasksAsync(names, cancellationToken);
        // Take the silos in turn; skip one that hosts nothing (then the busiest).
        var victim = silos[(run - 1) % Silos];
        if (!placed.Any(t => t.WorkerId == victim.WorkerId))
            victim = silos.OrderByDescending(s => placed.Count(t => t.WorkerId == s.WorkerId)).First();
        var orphans = placed.Where(t => t.WorkerId == victim.WorkerId).Select(t => (t.Connector, t.Task)).ToHashSet();
        var survivor = silos.First(s => s != victim);
        var affected = orphans.Select(o => o.Connector).Distinct().ToList();

        var clock = Stopwatch.StartNew();
        await victim.KillAsync();
        var killedAt = clock.Elapsed;
        // A marker on every partition of the affected connectors' topics: the dead silo's partitions are only
        // consumed again once the group has given them to a re-activated task (its consumer session expired).
        // "Consumed" = the sink's consumer group committed past the marker, which a sink does only after its
        // put and flush: the output file is no witness, since three tasks in three processes append to it.
        var markers = new List<(string Group, TopicPartitionOffset Marker)>();
        foreach (var name in affected)
        {
            for (var p = 0; p < Partitions; p++)
            {
                var line = $"marker-{prefix}-{run}-{name}-{p}";
                var delivered = await producer.ProduceAsync(new TopicPartition(Topic(name), new Partition(p)), new Message<string?, string> { Value = line }, cancellationToken);
                markers.Add(("connect-" + name, delivered.TopicPartitionOffset));
            }
        }

        List<TaskPlacement> last = [];
        await SiloBench.UntilAsync(async () =>
        {
            try
            {
                last = await survivor.TasksAsync(affected, cancellationToken).WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            }
            catch (Exception e) when (e is HttpRequestException or TimeoutException or TaskCanceledException)
            {
                return false;
            }
            NoteFailures(last);
            return orphans.All(o => last.Any(t => t.Connector == o.Connector && t.Task == o.Task && t.State == "RUNNING"
                && t.WorkerId != victim.WorkerId && t.WorkerId != ""));
        }, TimeSpan.FromSeconds(60), () => $"the tasks of {victim.WorkerId} RUNNING elsewhere; last: {Describe(last)}\n{survivor.Tail()}", cancellationToken, StatusPoll);
        var running = clock.Elapsed;

        TimeSpan? consuming = null;
        try
        {
            await SiloBench.UntilAsync(() => Task.FromResult(MissingMarkers(markers).Count == 0), MarkerTimeout,
                () => "every marker committed by its sink", cancellationToken, StatusPoll);
            consuming = clock.Elapsed;
        }
        catch (TimeoutException)
        {
            var missing = MissingMarkers(markers);
            // The last one may land between the poll's final look and this one.
            if (missing.Count == 0) consuming = clock.Elapsed;
            else output.WriteLine($"  {missing.Count} of {markers.Count} markers not committed {MarkerTimeout.TotalSeconds:0} s after the tasks ran again: {string.Join(", ", missing)}");
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"run {run}: kill -9 {victim.WorkerId} ({orphans.Count} tasks, kill took {killedAt.TotalMilliseconds:0} ms): all RUNNING elsewhere after " +
            $"{running.TotalSeconds:0.00} s; markers committed after {(consuming is { } c ? c.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture) + " s" : $"(not within {MarkerTimeout.TotalSeconds:0} s)")}"));

        var restart = Stopwatch.StartNew();
        await victim.StartAsync(TimeSpan.FromSeconds(90), cancellationToken);
        output.WriteLine($"  replacement silo at {victim.WorkerId} healthy after {restart.Elapsed.TotalSeconds:0.0} s");
        return new Run(run, victim.WorkerId, orphans.Count, running, consuming);
    }

    /// <summary>Until every task is RUNNING and the placement has not changed for a few seconds, so the joining
    /// silo's fair share has moved before the next kill.</summary>
    private async Task SettleAsync(List<SiloNode> silos, List<string> names, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        string? previous = null;
        var stableSince = TimeSpan.Zero;
        List<TaskPlacement> last = [];
        await SiloBench.UntilAsync(async () =>
        {
            try
            {
                last = await silos[0].TasksAsync(names, cancellationToken).WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            }
            catch (Exception e) when (e is HttpRequestException or TimeoutException or TaskCanceledException)
            {
                return false;
            }
            NoteFailures(last);
            var allRunning = last.Count == names.Count * options.Tasks && last.All(t => t.State == "RUNNING");
            var snapshot = Describe(last);
            if (!allRunning || snapshot != previous)
            {
                previous = snapshot;
                stableSince = clock.Elapsed;
                return false;
            }
            return clock.Elapsed - stableSince >= SettleQuiet;
        }, TimeSpan.FromSeconds(120), () => "every task RUNNING and placement stable; last: " + Describe(last), cancellationToken, TimeSpan.FromMilliseconds(250));
        var spread = string.Join(", ", silos.Select(s => $"{s.WorkerId}: {last.Count(t => t.WorkerId == s.WorkerId)}"));
        output.WriteLine($"  settled after {clock.Elapsed.TotalSeconds:0.0} s; tasks per silo: {spread}");
    }

    /// <summary>The runtime restarts FAILED tasks by itself: a failure is reported (once per task and cause), not
    /// fatal, and the task counts as not RUNNING until it is.</summary>
    private void NoteFailures(IEnumerable<TaskPlacement> tasks)
    {
        foreach (var t in tasks.Where(t => t.State == "FAILED"))
        {
            var cause = (t.Trace ?? "").Split('\n').FirstOrDefault(l => l.Contains("Exception", StringComparison.Ordinal))?.Trim() ?? "(no trace)";
            if (_failures.Add($"{t.Connector}-{t.Task}: {cause}")) output.WriteLine($"  FAILED seen: {t.Connector}-{t.Task} on {t.WorkerId}: {cause}");
        }
    }

    private readonly HashSet<string> _failures = [];
    private string _bootstrapServers = "";

    /// <summary>Markers whose partition's committed offset (of the sink's consumer group) is not past them yet.
    /// Committed() fetches offsets without joining the group, so the bench does not disturb it.</summary>
    private List<string> MissingMarkers(List<(string Group, TopicPartitionOffset Marker)> markers)
    {
        var missing = new List<string>();
        foreach (var group in markers.GroupBy(m => m.Group))
        {
            using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig
            {
                BootstrapServers = _bootstrapServers,
                GroupId = group.Key,
                EnableAutoCommit = false,
            }).Build();
            List<TopicPartitionOffset> committed;
            try
            {
                committed = consumer.Committed(group.Select(m => m.Marker.TopicPartition), TimeSpan.FromSeconds(5));
            }
            catch (KafkaException)
            {
                committed = []; // coordinator busy (rebalance): try again at the next poll
            }
            foreach (var (_, marker) in group)
            {
                var offset = committed.FirstOrDefault(c => c.TopicPartition == marker.TopicPartition)?.Offset ?? Offset.Unset;
                if (offset == Offset.Unset || offset.Value <= marker.Offset.Value) missing.Add($"{marker.TopicPartition}@{marker.Offset.Value}");
            }
        }
        return missing;
    }

    private static string Topic(string connector) => "topic-" + connector;

    private string OutputFile(string connector) => Path.Combine(workDir, connector + ".out");

    private static string Describe(IEnumerable<TaskPlacement> tasks) =>
        string.Join(", ", tasks.OrderBy(t => t.Connector).ThenBy(t => t.Task).Select(t => $"{t.Connector}-{t.Task}:{t.State}@{t.WorkerId}"));

    /// <summary>Linear interpolation between closest ranks: with 5 runs p95 lies between the two slowest.</summary>
    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        var rank = p * (sorted.Length - 1);
        var low = (int)Math.Floor(rank);
        var high = (int)Math.Ceiling(rank);
        return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
    }

    public static string Format(IReadOnlyList<SettingResult> results)
    {
        var text = new StringBuilder();
        var header = $"{"membership setting",-30} {"measure",-50} {"runs",4} {"p50 s",7} {"p95 s",7} {"max s",7}  all runs (s)";
        text.AppendLine(header).AppendLine(new string('-', header.Length + 20));
        foreach (var result in results)
        {
            Row(result.Setting.ToString(), "kill -9 → every task RUNNING elsewhere", result.Runs.Select(r => r.Running.TotalSeconds).ToList());
            var consumed = result.Runs.Where(r => r.Consuming is not null).Select(r => r.Consuming!.Value.TotalSeconds).ToList();
            Row("", $"kill -9 → markers committed by sinks ({consumed.Count}/{result.Runs.Count} runs)", consumed);
        }
        return text.ToString();

        void Row(string setting, string measure, List<double> values)
        {
            string F(double v) => v.ToString("0.00", CultureInfo.InvariantCulture);
            text.AppendLine($"{setting,-30} {measure,-50} {values.Count,4} {F(Percentile(values, 0.5)),7} {F(Percentile(values, 0.95)),7} " +
                $"{(values.Count == 0 ? "NaN" : F(values.Max())),7}  {string.Join(" ", values.Select(F))}");
        }
    }
}
