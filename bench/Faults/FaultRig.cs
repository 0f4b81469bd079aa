using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using OrleansConnect.Bench;

namespace OrleansConnect.Faults;

/// <summary>What one fault runs against, fresh for each fault: either a cluster (a throwaway PostgreSQL for grain state,
/// a Redis for membership, the broker in a process of its own, 3 silo processes) or the embedded default (one silo with
/// no bootstrap.servers: SQLite state and its embedded broker). Then FileStream pipelines through it, the REST poller,
/// and the checks that tell when it recovered.</summary>
public sealed class FaultRig : IAsyncDisposable
{
    private static readonly TimeSpan SiloStartTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan Look = TimeSpan.FromMilliseconds(200);
    private const int Prefill = 200;

    private readonly FaultOptions _options;
    private readonly string _dir;
    private readonly CancellationTokenSource _refresh = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _maxBehind = new();
    private Task? _refresher;

    public PostgresServer? Postgres { get; private set; }
    public RedisServer? Redis { get; private set; }
    public BrokerProcess? Broker { get; private set; }
    public List<SiloNode> Silos { get; } = [];
    public List<Pipeline> Pipelines { get; } = [];
    public Rest Rest { get; } = new();
    public RestPoller Poller { get; }
    public InputWriter Writer { get; }

    /// <summary>Every connector of the pipelines (what the poller asks for and the RUNNING checks cover).</summary>
    public IReadOnlyList<string> Connectors { get; }

    private FaultRig(FaultOptions options, string dir, int pipelines, string? outputDir)
    {
        _options = options;
        _dir = dir;
        var prefix = Path.GetFileName(dir);
        for (var i = 0; i < pipelines; i++) Pipelines.Add(new Pipeline(i, dir, prefix, outputDir));
        Connectors = [.. Pipelines.SelectMany(p => p.Connectors)];
        Poller = new RestPoller(Rest, Silos, () => Connectors);
        Writer = new InputWriter(Pipelines, options.LinesPerSecond);
    }

    /// <summary>PostgreSQL grain state, Redis membership (<paramref name="redisPersistent"/>: with an append-only file),
    /// the broker as a process with the pipelines' topics (and <paramref name="extraTopics"/>), and 3 silos.</summary>
    public static async Task<FaultRig> ClusterAsync(FaultOptions options, string dir, bool redisPersistent, int pipelines,
        IEnumerable<string> extraTopics, Action<string> say, CancellationToken cancellationToken)
    {
        var rig = new FaultRig(options, dir, pipelines, null);
        try
        {
            rig.Postgres = new PostgresServer(100);
            await rig.Postgres.StartAsync(cancellationToken);
            options.Pids.Record(rig.Postgres.PostmasterPid, "postgres", rig.Postgres.Root);
            var database = await rig.Postgres.CreateDatabaseAsync("faults", cancellationToken);
            rig.Redis = new RedisServer(Path.Combine(dir, "redis"), redisPersistent);
            await rig.Redis.StartAsync(cancellationToken);
            options.Pids.Record(rig.Redis.Pid, "redis-server");
            rig.Broker = new BrokerProcess(Path.Combine(dir, "broker"));
            await rig.Broker.StartAsync([("connect-offsets", 25), .. rig.Pipelines.Select(p => (p.Topic, 1)), .. extraTopics.Select(t => (t, 1))],
                cancellationToken);
            options.Pids.Record(rig.Broker.Pid, "broker");
            say($"  PostgreSQL on 127.0.0.1:{rig.Postgres.Port}, redis-server on {rig.Redis.ConnectionString}" +
                $"{(redisPersistent ? " (append-only file)" : " (no persistence)")}, broker process (pid {rig.Broker.Pid}) on {rig.Broker.BootstrapServers}");
            var settings = new Dictionary<string, string>(Common(options))
            {
                ["bootstrap.servers"] = rig.Broker.BootstrapServers,
                ["group.id"] = "faults-" + Guid.NewGuid().ToString("N")[..8],
                ["cluster.membership.provider"] = "redis",
                ["cluster.membership.connection.string"] = rig.Redis.ConnectionString,
                ["storage.provider"] = "postgresql",
                ["storage.connection.string"] = database,
                ["offset.storage.replication.factor"] = "1",
                // A sink task re-activated elsewhere waits for the dead member's session to expire: keep it near the
                // silo death timeout (as bench/run-failover.sh and the cluster tests do).
                ["consumer.session.timeout.ms"] = "6000",
                ["consumer.heartbeat.interval.ms"] = "1000",
            };
            for (var i = 0; i < 3; i++) rig.Silos.Add(new SiloNode(options.SiloDll, Path.Combine(dir, "silo" + i), settings));
            // The first creates the schema; the others then start together.
            await rig.StartSiloAsync(rig.Silos[0], cancellationToken);
            await Task.WhenAll(rig.Silos.Skip(1).Select(s => rig.StartSiloAsync(s, cancellationToken)));
            say($"  3 silos healthy: {string.Join(", ", rig.Silos.Select(s => $"{s.WorkerId} (pid {s.Pid})"))}");
            return rig;
        }
        catch
        {
            await rig.DisposeAsync();
            throw;
        }
    }

    /// <summary>One silo as <c>dotnet run --project Silo</c> starts it: no bootstrap.servers (its embedded broker), SQLite
    /// state in its data dir. <paramref name="outputDir"/> puts the sink files elsewhere (a small filesystem).</summary>
    public static async Task<FaultRig> EmbeddedAsync(FaultOptions options, string dir, int pipelines, string? outputDir, Action<string> say,
        CancellationToken cancellationToken)
    {
        var rig = new FaultRig(options, dir, pipelines, outputDir);
        try
        {
            rig.Silos.Add(new SiloNode(options.SiloDll, Path.Combine(dir, "silo0"), Common(options)));
            await rig.StartSiloAsync(rig.Silos[0], cancellationToken);
            say($"  embedded default silo healthy: {rig.Silos[0].WorkerId} (pid {rig.Silos[0].Pid}), data in {Path.Combine(dir, "silo0", "data")}");
            return rig;
        }
        catch
        {
            await rig.DisposeAsync();
            throw;
        }
    }

    private static Dictionary<string, string> Common(FaultOptions options) => new(options.SiloSettings)
    {
        ["offset.flush.interval.ms"] = "1000",
        ["key.converter"] = "org.apache.kafka.connect.storage.StringConverter",
        ["value.converter"] = "org.apache.kafka.connect.storage.StringConverter",
    };

    /// <summary>Starts (or starts again, on the same ports and data dir) a silo, noting its pid for run-faults.sh.</summary>
    public Task StartSiloAsync(SiloNode silo, CancellationToken cancellationToken) =>
        silo.StartAsync(SiloStartTimeout, cancellationToken, pid => _options.Pids.Record(pid, "silo"));

    /// <summary>Creates the pipelines' connectors (sources and sinks spread over the silos), starts the poller and the
    /// output reader; with <paramref name="flowing"/>, also the input writer, and waits until every task is RUNNING and
    /// every sink file has caught up with the first lines.</summary>
    public async Task StartPipelinesAsync(bool flowing, CancellationToken cancellationToken)
    {
        foreach (var pipeline in Pipelines)
        {
            if (flowing) pipeline.Append(Prefill);
            await Silos[pipeline.Index % Silos.Count].CreateConnectorAsync(pipeline.Source, pipeline.SourceConfig, cancellationToken);
            await Silos[(pipeline.Index + 1) % Silos.Count].CreateConnectorAsync(pipeline.Sink, pipeline.SinkConfig, cancellationToken);
        }
        Poller.Start();
        _refresher = Task.Run(() => RefreshAsync(_refresh.Token));
        if (!flowing) return;
        Writer.Start();
        var clock = Stopwatch.StartNew();
        if (await UntilAllRunningAsync(clock, TimeSpan.FromSeconds(90), [], cancellationToken) is null)
            throw new TimeoutException($"Not every task RUNNING 90 s after the creates: {await DescribeAsync(cancellationToken)}");
        if (await UntilCaughtUpAsync([.. Pipelines.Select(_ => (long)Prefill)], clock, TimeSpan.FromSeconds(90), cancellationToken) is null)
            throw new TimeoutException($"The sinks did not write the first {Prefill} lines within 90 s: {Progress()}");
    }

    private async Task RefreshAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Look);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                foreach (var pipeline in Pipelines) pipeline.Output.Refresh();
                if (Poller.Phase is { } phase)
                {
                    var behind = Pipelines.Sum(p => p.Written - p.Output.Contiguous);
                    _maxBehind.AddOrUpdate(phase, behind, (_, max) => Math.Max(max, behind));
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>The most lines the sinks were behind the inputs (all pipelines together) while the poller counted under
    /// <paramref name="phase"/>: how far the data flow stalled.</summary>
    public long MaxBehind(string phase) => _maxBehind.GetValueOrDefault(phase);

    /// <summary>How many lines each pipeline's input holds now: what the sinks must reach to have caught up.</summary>
    public long[] Watermarks() => [.. Pipelines.Select(p => p.Written)];

    /// <summary>Polls the tasks' states until every task of the pipelines is RUNNING on a silo whose process runs and is
    /// not in <paramref name="exclude"/> (worker ids); the time on <paramref name="clock"/> then, or null after
    /// <paramref name="limit"/>.</summary>
    public async Task<TimeSpan?> UntilAllRunningAsync(Stopwatch clock, TimeSpan limit, IReadOnlyCollection<string> exclude,
        CancellationToken cancellationToken)
    {
        var deadline = clock.Elapsed + limit;
        while (clock.Elapsed < deadline)
        {
            var live = Silos.Where(s => s.IsRunning && !exclude.Contains(s.WorkerId)).ToList();
            if (await StatesAsync(live, cancellationToken) is { } tasks && tasks.Count > 0 && Connectors.All(c => tasks.Any(t => t.Connector == c))
                && tasks.All(t => t.State == "RUNNING" && live.Any(s => s.WorkerId == t.WorkerId)))
                return clock.Elapsed;
            await Task.Delay(Look, cancellationToken);
        }
        return null;
    }

    /// <summary>Polls the sink files until each holds every line below its watermark; the time on <paramref name="clock"/>
    /// then, or null after <paramref name="limit"/>.</summary>
    public async Task<TimeSpan?> UntilCaughtUpAsync(IReadOnlyList<long> watermarks, Stopwatch clock, TimeSpan limit, CancellationToken cancellationToken)
    {
        var deadline = clock.Elapsed + limit;
        while (clock.Elapsed < deadline)
        {
            if (Pipelines.All(p => p.Output.HasAllBelow(watermarks[p.Index]))) return clock.Elapsed;
            await Task.Delay(Look, cancellationToken);
        }
        return null;
    }

    /// <summary>Both recovery figures, measured together from <paramref name="clock"/>.</summary>
    public async Task<(TimeSpan? Running, TimeSpan? CaughtUp)> RecoverAsync(Stopwatch clock, IReadOnlyList<long> watermarks,
        IReadOnlyCollection<string> exclude, CancellationToken cancellationToken)
    {
        var running = UntilAllRunningAsync(clock, _options.RecoveryTimeout, exclude, cancellationToken);
        var caughtUp = UntilCaughtUpAsync(watermarks, clock, _options.RecoveryTimeout, cancellationToken);
        return (await running, await caughtUp);
    }

    /// <summary>Every task of the pipelines as the first live silo that answers lists them (GET /connectors?expand=status).</summary>
    public async Task<List<TaskPlacement>?> StatesAsync(IEnumerable<SiloNode> silos, CancellationToken cancellationToken)
    {
        foreach (var silo in silos)
        {
            var answer = await Rest.SendAsync(HttpMethod.Get, new Uri(silo.BaseAddress, "connectors?expand=status"), null, TimeSpan.FromSeconds(5), cancellationToken);
            if (answer.Status != 200) continue;
            try
            {
                var result = new List<TaskPlacement>();
                foreach (var (name, entry) in JsonNode.Parse(answer.Body)?.AsObject() ?? [])
                {
                    if (!Connectors.Contains(name)) continue;
                    foreach (var task in entry?["status"]?["tasks"]?.AsArray() ?? [])
                        result.Add(new TaskPlacement(name, (int?)task?["id"] ?? -1, (string?)task?["state"] ?? "", (string?)task?["worker_id"] ?? "", (string?)task?["trace"]));
                }
                return result;
            }
            catch (JsonException) { }
        }
        return null;
    }

    /// <summary>The running silo hosting the most tasks (of sources only, with <paramref name="sourcesOnly"/>).</summary>
    public async Task<SiloNode> BusiestAsync(bool sourcesOnly, CancellationToken cancellationToken)
    {
        var tasks = await StatesAsync(Silos.Where(s => s.IsRunning), cancellationToken) ?? throw new InvalidOperationException("No silo listed the tasks.");
        var sources = Pipelines.Select(p => p.Source).ToHashSet();
        return Silos.Where(s => s.IsRunning)
            .OrderByDescending(s => tasks.Count(t => t.WorkerId == s.WorkerId && (!sourcesOnly || sources.Contains(t.Connector))))
            .ThenByDescending(s => tasks.Count(t => t.WorkerId == s.WorkerId)).First();
    }

    public async Task<string> DescribeAsync(CancellationToken cancellationToken)
    {
        var tasks = await StatesAsync(Silos.Where(s => s.IsRunning), cancellationToken);
        return tasks is null ? "no silo listed the tasks" : string.Join(", ", tasks.Select(t => $"{t.Connector}-{t.Task}:{t.State}@{t.WorkerId}"));
    }

    public string Progress() => string.Join(", ", Pipelines.Select(p => $"pipeline {p.Index}: {p.Output.Distinct}/{p.Written}"));

    /// <summary>Stops the writer, waits (at most <paramref name="limit"/>) until every sink holds every line written, and
    /// fills the row's loss, duplicate and torn-line figures.</summary>
    public async Task FinishAsync(FaultRow row, TimeSpan limit, CancellationToken cancellationToken)
    {
        await Writer.StopAsync();
        var clock = Stopwatch.StartNew();
        var written = Watermarks();
        if (await UntilCaughtUpAsync(written, clock, limit, cancellationToken) is null)
            row.Note($"not every written line arrived within {limit.TotalSeconds:0} s of the writer's stop (counted as lost)");
        Measure(row, written);
    }

    /// <summary>The row's figures for lines 0 … written-1 of each pipeline.</summary>
    public void Measure(FaultRow row, IReadOnlyList<long> written)
    {
        foreach (var pipeline in Pipelines) pipeline.Output.Refresh();
        row.Written = written.Sum();
        row.Lost = Pipelines.Sum(p => p.Output.Missing(written[p.Index]));
        row.Duplicates = Pipelines.Sum(p => p.Output.Duplicates);
        row.Torn = Pipelines.Sum(p => p.Output.Torn);
        var unfinished = Pipelines.Where(p => !p.Output.EndsOnCompleteLine).Select(p => p.Index).ToList();
        if (unfinished.Count > 0) row.Note($"sink file(s) of pipeline(s) {string.Join(", ", unfinished)} end inside a line");
        foreach (var pipeline in Pipelines.Where(p => p.Output.TornExamples.Count > 0))
            row.Note($"torn in pipeline {pipeline.Index}: {string.Join(" | ", pipeline.Output.TornExamples)}");
        foreach (var pipeline in Pipelines.Where(p => p.Output.Anomaly is not null)) row.Note($"pipeline {pipeline.Index}: {pipeline.Output.Anomaly}");
    }

    public async ValueTask DisposeAsync()
    {
        await _refresh.CancelAsync();
        if (_refresher is not null) await _refresher;
        await Writer.DisposeAsync();
        await Poller.DisposeAsync();
        // Kill, not a clean stop: the figures are taken.
        await Task.WhenAll(Silos.Select(s => s.DisposeAsync().AsTask()));
        if (Broker is not null) await Broker.DisposeAsync();
        if (Redis is not null) await Redis.DisposeAsync();
        if (Postgres is not null)
        {
            try { File.Copy(Postgres.LogPath, Path.Combine(_dir, "postgresql.log"), overwrite: true); }
            catch (IOException) { }
            await Postgres.DisposeAsync();
        }
        Rest.Dispose();
        _refresh.Dispose();
    }
}
