using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using OrleansConnect.Bench;
using OrleansConnect.Grains.Kafka;

namespace OrleansConnect.Scale;

/// <summary>A cluster as a user would build it (PostgreSQL grain state, Redis or PostgreSQL membership, a Kafka-protocol
/// broker, N silo processes), then C idle FileStreamSource connectors created over REST by K clients, and what that
/// costs: create rate, time until every task runs, idle storage load, memory, REST latency, and a kill -9. Every phase
/// has a deadline; what did not finish by then is reported, and the run goes on with what it has.</summary>
public sealed class ScaleBenchmark(ScaleOptions options, string workDir, TextWriter output)
{
    private const string Topic = "scale-idle";
    private const string ExpandStatus = "GET /connectors?expand=status";
    private const string OneStatus = "GET /connectors/{c}/status";
    private const int CreateAttempts = 3;
    private const int MaxRequestsPerClient = 100_000;
    private static readonly TimeSpan SiloStartTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan CreateTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan LatencyTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan LookLimit = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan WarmUpLimit = TimeSpan.FromSeconds(30);

    private readonly Stopwatch _run = Stopwatch.StartNew();
    private readonly Rest _rest = new();
    private readonly ConcurrentDictionary<string, bool> _sampleShown = new();
    private volatile string _phase = "setup";

    public ScaleReport Report { get; } = new();
    public LogCensus Census { get; } = new();
    public PostgresMonitor? Monitor { get; private set; }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Report.Connectors = options.Connectors;
        Report.PgMaxConnections = options.PgMaxConnections;
        Report.Setup = $"{options.Silos} silos, {options.Connectors} idle FileStreamSource connectors (1 task each), {options.Clients} creating clients, " +
            $"{options.Membership} membership, PostgreSQL grain state (max_connections {options.PgMaxConnections}); {Environment.ProcessorCount} cores; " +
            $"load average before the run {IdleFigures.ReadLoadAverage()}";
        Say(Report.Setup + $"; work dir {workDir}");

        await using var postgres = new PostgresServer(options.PgMaxConnections);
        await postgres.StartAsync(cancellationToken);
        options.Pids.Record(postgres.PostmasterPid, "postgres", postgres.Root);
        var database = "scale_" + Guid.NewGuid().ToString("N")[..8];
        var connectionString = await postgres.CreateDatabaseAsync(database, cancellationToken);
        Say($"PostgreSQL 15 on 127.0.0.1:{postgres.Port}, database {database}");
        await using var monitor = new PostgresMonitor(
            $"Host=127.0.0.1;Port={postgres.Port};Username=postgres;Database=postgres;Pooling=false;Timeout=5;Command Timeout=10", database);
        await monitor.OpenAsync(cancellationToken);
        Monitor = monitor;

        await using var redis = options.Membership == "redis" ? new RedisServer(Path.Combine(workDir, "redis")) : null;
        if (redis is not null)
        {
            await redis.StartAsync(cancellationToken);
            options.Pids.Record(redis.Pid, "redis-server");
            Say($"redis-server on {redis.ConnectionString}");
        }

        using var broker = EmbeddedKafkaBroker.Start(3);
        // The embedded broker cannot create topics through the admin API: the offsets topic and the shared topic up front.
        broker.CreateTopic("connect-offsets", 25, 3);
        broker.CreateTopic(Topic, 1, 1);
        Say($"Embedded Kafka-protocol broker (librdkafka's mock cluster, 3 brokers, in this process): {broker.BootstrapServers}");

        var settings = new Dictionary<string, string>
        {
            ["bootstrap.servers"] = broker.BootstrapServers,
            ["group.id"] = "scale-" + Guid.NewGuid().ToString("N")[..8],
            ["cluster.membership.provider"] = options.Membership,
            ["cluster.membership.connection.string"] = redis?.ConnectionString ?? connectionString,
            ["storage.provider"] = "postgresql",
            ["storage.connection.string"] = connectionString,
            ["offset.storage.replication.factor"] = "1",
            ["key.converter"] = "org.apache.kafka.connect.storage.StringConverter",
            ["value.converter"] = "org.apache.kafka.connect.storage.StringConverter",
        };
        foreach (var (key, value) in options.SiloSettings) settings[key] = value;

        using var sampling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sampler = monitor.SampleAsync(() => _phase, sampling.Token);
        var silos = new List<SiloNode>();
        try
        {
            await PhasesAsync(silos, settings, postgres, monitor, cancellationToken);
        }
        finally
        {
            await sampling.CancelAsync();
            await sampler;
            // Kill, not a clean stop: the figures are taken, and a clean stop of 1,000 tasks only hands grains around.
            await Task.WhenAll(silos.Select(s => s.DisposeAsync().AsTask()));
            try { File.Copy(postgres.LogPath, Path.Combine(workDir, "postgresql.log"), overwrite: true); }
            catch (IOException) { }
        }
    }

    private async Task PhasesAsync(List<SiloNode> silos, Dictionary<string, string> settings, PostgresServer postgres, PostgresMonitor monitor,
        CancellationToken cancellationToken)
    {
        void Census(string phase) => this.Census.Take(phase, silos.Select(s => s.LogPath), postgres.LogPath);

        _phase = "silos start";
        for (var i = 0; i < options.Silos; i++)
        {
            var silo = new SiloNode(options.SiloDll, Path.Combine(workDir, "silo" + i), settings);
            silos.Add(silo);
            var clock = Stopwatch.StartNew();
            // One after the other: the first creates the schema.
            await silo.StartAsync(SiloStartTimeout, cancellationToken, pid => options.Pids.Record(pid, "silo"));
            Report.WorkerIds.Add(silo.WorkerId);
            Say($"silo {i} {silo.WorkerId} (pid {silo.Pid}, silo port {silo.SiloPort}) healthy after {clock.Elapsed.TotalSeconds:0.0} s; log {silo.LogPath}");
        }
        Census(_phase);
        var bases = silos.Select(s => s.BaseAddress).ToList();
        var poller = new StatusPoller(_rest, options.PerConnectorStatus, Say);

        _phase = "idle, no connectors";
        Say($"Settling {options.Settle.TotalSeconds:0} s, then measuring the idle cluster for {options.IdleWindow.TotalSeconds:0} s");
        await Task.Delay(options.Settle, cancellationToken);
        Report.IdleEmpty = await IdleFigures.MeasureAsync(silos, monitor, options.IdleWindow, cancellationToken);
        SayIdle(Report.IdleEmpty);
        Census(_phase);

        _phase = "create";
        var names = Enumerable.Range(0, options.Connectors).Select(i => $"scale-{i:00000}").ToList();
        var createClock = Stopwatch.StartNew();
        var creation = await CreateAsync(silos, names, createClock, cancellationToken);
        Report.Create = creation.Figures;
        var created = names.Where(creation.CreatedNames.Contains).ToList();
        Census(_phase);

        _phase = "until RUNNING";
        Say($"Waiting until all {created.Count} tasks are RUNNING ({poller.Method}, at most {options.PhaseTimeout.TotalSeconds:0} s)");
        var (at, last, looks) = await poller.UntilAsync(bases, created, s => s.Running(created) == created.Count, createClock,
            createClock.Elapsed + options.PhaseTimeout, s => Say($"  {ClusterStatus.Format(s.States(created))} (look took {s.Took.TotalSeconds:0.0} s)"),
            cancellationToken, TimeSpan.FromSeconds(1));
        Report.Start = new StartFigures(at - Report.Create.LastCreate, last?.Method ?? poller.Method,
            last is null ? "no look answered" : ClusterStatus.Format(last.States(created)), last?.RunningByWorker() ?? [], looks, last?.Took ?? TimeSpan.Zero);
        if (at is null) Report.Unfinished.Add($"not every task RUNNING {options.PhaseTimeout.TotalSeconds:0} s after the creates ({Report.Start.States})");
        Say(at is { } t ? $"Every task RUNNING {(t - Report.Create.LastCreate).TotalSeconds:0.0} s after the last create; per silo: {Placement(Report.Start.Placement)}"
            : $"Not every task RUNNING within {options.PhaseTimeout.TotalSeconds:0} s: {Report.Start.States}");
        if (at is null && last is not null)
        {
            // Which ones, and whether their create had to be retried: a lead for whoever reads the silo logs.
            var stuck = created.Where(n => last.Running([n]) == 0).ToList();
            Say($"  not RUNNING ({stuck.Count}; first 20): " + string.Join(", ", stuck.Take(20).Select(n =>
                $"{n} [{ClusterStatus.Format(last.States([n]))}{(creation.Retried.Contains(n) ? "; its create was retried" : "")}]")));
        }
        Census(_phase);

        _phase = $"idle, {options.Connectors} connectors";
        Say($"Settling {options.Settle.TotalSeconds:0} s, then measuring the idle cluster for {options.IdleWindow.TotalSeconds:0} s");
        await Task.Delay(options.Settle, cancellationToken);
        var placement = await poller.AnsweredLookAsync(bases, created, LookLimit, cancellationToken);
        Report.IdlePlacement = placement?.RunningByWorker();
        Report.IdleLoaded = await IdleFigures.MeasureAsync(silos, monitor, options.IdleWindow, cancellationToken);
        SayIdle(Report.IdleLoaded);
        if (await poller.AnsweredLookAsync(bases, created, LookLimit, cancellationToken) is { } afterIdle)
            Say($"  after the idle window: {ClusterStatus.Format(afterIdle.States(created))}");
        Census(_phase);

        _phase = "REST latency";
        await LatenciesAsync(bases, created, cancellationToken);
        Census(_phase);

        if (options.SkipFailover)
        {
            Report.FailoverSkipped = "skipped (--skip-failover)";
            return;
        }
        if (silos.Count < 2)
        {
            Report.FailoverSkipped = "skipped: one silo has no survivor";
            return;
        }
        _phase = "failover";
        await FailoverAsync(silos, poller, created, cancellationToken);
        Census(_phase);
    }

    /// <summary>What the create phase returns: the figures and which connectors exist.</summary>
    /// <param name="Retried">Connectors whose first attempt answered 5xx or timed out: a suspect when one never starts.</param>
    private sealed record CreateOutcome(CreateFigures Figures, HashSet<string> CreatedNames, HashSet<string> Retried);

    private async Task<CreateOutcome> CreateAsync(List<SiloNode> silos, List<string> names, Stopwatch clock, CancellationToken cancellationToken)
    {
        // Each connector reads its own one-line file: it produces that line once and then has nothing to do.
        var inputs = Path.Combine(workDir, "inputs");
        Directory.CreateDirectory(inputs);
        foreach (var name in names) await File.WriteAllTextAsync(Path.Combine(inputs, name + ".txt"), name + "\n", cancellationToken);

        Say($"Creating {names.Count} connectors, {options.Clients} requests at a time, spread over the silos (at most {options.PhaseTimeout.TotalSeconds:0} s; " +
            $"a 5xx or a timeout is retried on the next silo, {CreateAttempts} attempts in all)");
        var first = new Outcomes();
        var retries = new Outcomes();
        var latencies = new ConcurrentBag<double>();
        var created = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal); // value: created by an attempt that failed
        var retried = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        var attempted = 0;
        var answered = 0;
        long lastCreateTicks = 0;
        var next = -1;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.PhaseTimeout);
        clock.Restart();

        async Task ClientAsync()
        {
            try
            {
                while (Interlocked.Increment(ref next) is var i && i < names.Count)
                {
                    Interlocked.Increment(ref attempted);
                    var name = names[i];
                    var body = JsonSerializer.Serialize(new
                    {
                        name,
                        config = new Dictionary<string, string>
                        {
                            ["connector.class"] = "FileStreamSource",
                            ["tasks.max"] = "1",
                            ["file"] = Path.Combine(inputs, name + ".txt"),
                            ["topic"] = Topic,
                        },
                    });
                    for (var attempt = 1; attempt <= CreateAttempts; attempt++)
                    {
                        // A retry goes to the next silo: the first may be the one in trouble.
                        var silo = silos[(i + attempt - 1) % silos.Count];
                        var answer = await _rest.SendAsync(HttpMethod.Post, new Uri(silo.BaseAddress, "connectors"), body, CreateTimeout, deadline.Token);
                        (attempt == 1 ? first : retries).Add(answer.Outcome);
                        if (attempt == 1) latencies.Add(answer.Elapsed.TotalMilliseconds);
                        ShowOnce(answer, $"POST /connectors ({name}, attempt {attempt})");
                        var done = answer.Status switch
                        {
                            201 => created.TryAdd(name, false),
                            409 => created.TryAdd(name, attempt > 1), // on a retry: the attempt that failed had created it
                            >= 400 and < 500 => false, // the request itself is wrong: another attempt would not help
                            _ => (bool?)null,
                        };
                        if (done is true) SetMax(ref lastCreateTicks, clock.Elapsed.Ticks);
                        if (done is not null) break;
                        retried.TryAdd(name, true);
                        if (attempt < CreateAttempts) await Task.Delay(TimeSpan.FromSeconds(attempt), deadline.Token);
                    }
                    if (Interlocked.Increment(ref answered) is var n && n % Math.Max(1, names.Count / 10) == 0)
                        Say($"  {n} answered, {created.Count} created after {clock.Elapsed.TotalSeconds:0.0} s; first answers: {first}");
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested) { } // the phase's deadline
        }

        await Task.WhenAll(Enumerable.Range(0, options.Clients).Select(_ => ClientAsync()));
        var deadlineHit = deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested;
        var figures = new CreateFigures(names.Count, attempted, created.Count, created.Count(c => c.Value), attempted - created.Count, first, retries,
            latencies.ToArray(), TimeSpan.FromTicks(Interlocked.Read(ref lastCreateTicks)), deadlineHit);
        if (deadlineHit) Report.Unfinished.Add($"creating: {figures.Attempted} of {names.Count} attempted, {figures.Created} created within {options.PhaseTimeout.TotalSeconds:0} s");
        Say($"{figures.Created} of {names.Count} connectors created, the last after {figures.LastCreate.TotalSeconds:0.0} s ({figures.Rate:0.0} /s); " +
            $"first answers: {first}; retries: {(retries.Total == 0 ? "none" : retries.ToString())}");
        return new CreateOutcome(figures, created.Keys.ToHashSet(StringComparer.Ordinal), retried.Keys.ToHashSet(StringComparer.Ordinal));
    }

    private async Task LatenciesAsync(List<Uri> bases, List<string> connectors, CancellationToken cancellationToken)
    {
        if (connectors.Count == 0)
        {
            Report.Unfinished.Add("REST latency: no connector to ask about");
            return;
        }
        // Warm-up, untimed and cut at WarmUpLimit: each silo's first answers pay for JIT and grain activations.
        using (var warmUp = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            warmUp.CancelAfter(WarmUpLimit);
            try
            {
                foreach (var silo in bases)
                {
                    await _rest.SendAsync(HttpMethod.Get, new Uri(silo, "connectors?expand=status"), null, LatencyTimeout, warmUp.Token);
                    for (var i = 0; i < 20; i++)
                        await _rest.SendAsync(HttpMethod.Get, new Uri(silo, $"connectors/{connectors[i * 7 % connectors.Count]}/status"), null, LatencyTimeout, warmUp.Token);
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                Say($"  warm-up cut after {WarmUpLimit.TotalSeconds:0} s");
            }
        }
        foreach (var clients in new[] { 1, 8 })
        {
            foreach (var endpoint in new[] { ExpandStatus, OneStatus })
            {
                Say($"{endpoint} with {clients} client{(clients == 1 ? "" : "s")} for {options.RestDuration.TotalSeconds:0} s (each request at most {LatencyTimeout.TotalSeconds:0} s)");
                var figures = await LatencyAsync(endpoint, clients, bases, connectors, cancellationToken);
                Report.Latency.Add(figures);
                Say(figures.Timings.Count == 0 ? $"  no 2xx answer; {figures.Outcomes}"
                    : $"  {figures.Timings.Count} answers, p50 {SiloBench.Percentile(figures.Timings, 50):0.0} ms, p99 {SiloBench.Percentile(figures.Timings, 99):0.0} ms, " +
                      $"max {figures.Timings.Max():0} ms, {figures.RequestsPerSecond:0.0} req/s; answers: {figures.Outcomes}");
            }
        }
    }

    /// <summary>Closed loops: each client sends its next request when the last answered, to the silos in turn, until the
    /// duration is over or it sent <see cref="MaxRequestsPerClient"/>.</summary>
    private async Task<LatencyFigures> LatencyAsync(string endpoint, int clients, List<Uri> bases, List<string> connectors, CancellationToken cancellationToken)
    {
        var outcomes = new Outcomes();
        var timings = new ConcurrentBag<double>();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
        {
            var random = new Random(7919 * c + clients);
            for (var n = 0; n < MaxRequestsPerClient && clock.Elapsed < options.RestDuration; n++)
            {
                var path = endpoint == ExpandStatus ? "connectors?expand=status" : $"connectors/{connectors[random.Next(connectors.Count)]}/status";
                var answer = await _rest.SendAsync(HttpMethod.Get, new Uri(bases[(c + n) % bases.Count], path), null, LatencyTimeout, cancellationToken);
                outcomes.Add(answer.Outcome);
                ShowOnce(answer, $"GET /{path}");
                if (answer.Ok) timings.Add(answer.Elapsed.TotalMilliseconds);
            }
        }));
        return new LatencyFigures(endpoint, clients, timings.ToArray(), outcomes, clock.Elapsed);
    }

    private async Task FailoverAsync(List<SiloNode> silos, StatusPoller poller, List<string> connectors, CancellationToken cancellationToken)
    {
        var look = await poller.AnsweredLookAsync(silos.Select(s => s.BaseAddress).ToList(), connectors, LookLimit, cancellationToken);
        if (look is null)
        {
            Report.FailoverSkipped = "not run: no status look answered before the kill";
            Report.Unfinished.Add(Report.FailoverSkipped);
            return;
        }
        var byWorker = look.RunningByWorker();
        var victim = silos.OrderByDescending(s => byWorker.GetValueOrDefault(s.WorkerId)).First();
        var orphans = connectors.Where(n => look.Tasks.TryGetValue(n, out var tasks) && tasks.Any(t => t.WorkerId == victim.WorkerId)).ToList();
        var survivors = silos.Where(s => s != victim).Select(s => s.BaseAddress).ToList();
        Say($"kill -9 of {victim.WorkerId} (pid {victim.Pid}), which holds {orphans.Count} tasks; polling the survivors (at most {options.PhaseTimeout.TotalSeconds:0} s)");

        var clock = Stopwatch.StartNew();
        await victim.KillAsync();
        TimeSpan? orphansAt = null;
        var (at, last, looks) = await poller.UntilAsync(survivors, connectors, s =>
        {
            bool Elsewhere(string name) => s.Tasks.TryGetValue(name, out var tasks) && tasks.Count > 0
                && tasks.All(t => t.State == "RUNNING" && t.WorkerId != victim.WorkerId);
            if (orphansAt is null && orphans.All(Elsewhere)) orphansAt = clock.Elapsed;
            return orphansAt is not null && connectors.All(Elsewhere);
        }, clock, options.PhaseTimeout, s => Say($"  {ClusterStatus.Format(s.States(connectors))}; on the killed silo: {s.RunningByWorker().GetValueOrDefault(victim.WorkerId)} " +
            $"(look took {s.Took.TotalSeconds:0.0} s)"), cancellationToken);
        Report.Failover = new FailoverFigures(victim.WorkerId, orphans.Count, at, orphansAt,
            last is null ? "no look answered" : ClusterStatus.Format(last.States(connectors)), last?.RunningByWorker() ?? [], last?.Method ?? poller.Method, looks,
            last?.Took ?? TimeSpan.Zero);
        if (at is null) Report.Unfinished.Add($"failover: not every task RUNNING on the survivors {options.PhaseTimeout.TotalSeconds:0} s after the kill ({Report.Failover.States})");
        Say(at is { } t ? $"Every task RUNNING on the survivors {t.TotalSeconds:0.0} s after the kill (its own tasks: {orphansAt?.TotalSeconds:0.0} s); per silo: {Placement(Report.Failover.Placement)}"
            : $"Not every task RUNNING on the survivors within {options.PhaseTimeout.TotalSeconds:0} s: {Report.Failover.States}");
    }

    /// <summary>The body of the first answer of each kind that was not 2xx: what a 500 says is part of the finding.</summary>
    private void ShowOnce(Answer answer, string request)
    {
        if (answer.Ok || !_sampleShown.TryAdd(answer.Outcome, true)) return;
        var body = answer.Body.Length > 300 ? answer.Body[..300] + "…" : answer.Body;
        Say($"  first {answer.Outcome} answer: {request} after {answer.Elapsed.TotalSeconds:0.00} s{(body.Length > 0 ? ": " + body : "")}");
    }

    private void SayIdle(IdleFigures idle) =>
        Say($"  PostgreSQL {idle.PgTransactionsPerSecond:0.0} transactions/s, connections max {idle.PgConnectionsMax} median {idle.PgConnectionsMedian}; " +
            $"silo CPU % of a core {string.Join(" / ", idle.Silos.Select(s => s.CpuPercent?.ToString("0.0", CultureInfo.InvariantCulture) ?? "-"))}; " +
            $"VmRSS MiB {string.Join(" / ", idle.Silos.Select(s => IdleFigures.MiB(s.RssKiB)))}; load {idle.LoadAverage}; machine busy {idle.MachineBusyPercent:0} %");

    private string Placement(Dictionary<string, int> placement) =>
        string.Join(", ", Report.WorkerIds.Select(w => $"{w}: {placement.GetValueOrDefault(w)}"));

    private static void SetMax(ref long target, long value)
    {
        var current = Interlocked.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current) return;
            current = seen;
        }
    }

    private void Say(string line)
    {
        lock (output) output.WriteLine($"[{_run.Elapsed.TotalSeconds,7:0.0} s] {line}");
    }
}
