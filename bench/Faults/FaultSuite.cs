using System.Diagnostics;
using OrleansConnect.Bench;

namespace OrleansConnect.Faults;

/// <summary>The faults of issue 24, each against a fresh rig (bench/README.md says what each does). A fault that throws
/// becomes an error row; the run goes on with the next.</summary>
public sealed class FaultSuite(FaultOptions options, string workDir, TextWriter output)
{
    public static readonly string[] Names =
    [
        "redis-restart-empty", "redis-down-kill", "postgres-down", "broker-frozen-20s", "broker-frozen-150s", "silo-sigstop-15s",
        "poison-record", "embedded-kill9", "disk-full-sink", "rest-storm",
    ];

    private const string During = "fault";
    private const string After = "recovery";
    private static readonly TimeSpan FinalWait = TimeSpan.FromSeconds(60);

    private readonly Stopwatch _run = Stopwatch.StartNew();

    public List<FaultRow> Rows { get; } = [];

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        foreach (var name in Names.Where(options.Only.Contains))
        {
            var row = new FaultRow(name);
            Rows.Add(row);
            var dir = Path.Combine(workDir, name);
            Directory.CreateDirectory(dir);
            Say($"== {name} (logs in {dir})");
            var clock = Stopwatch.StartNew();
            try
            {
                await RunOneAsync(name, row, dir, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                row.Error = "cancelled";
                throw;
            }
            catch (Exception e)
            {
                row.Error = e.Message.Split('\n')[0];
                Say($"  failed: {e}");
            }
            finally
            {
                row.Took = clock.Elapsed;
            }
            Say($"  done in {row.Took.TotalSeconds:0} s: lost {row.Lost?.ToString() ?? "-"}, duplicates {row.Duplicates?.ToString() ?? "-"}, " +
                $"RUNNING {row.Running}, caught up {row.CaughtUp}, REST {row.Rest}");
            foreach (var note in row.Notes) Say("    " + note);
        }
    }

    private Task RunOneAsync(string name, FaultRow row, string dir, CancellationToken cancellationToken) => name switch
    {
        "redis-restart-empty" => RedisRestartEmptyAsync(row, dir, cancellationToken),
        "redis-down-kill" => RedisDownKillAsync(row, dir, cancellationToken),
        "postgres-down" => PostgresDownAsync(row, dir, cancellationToken),
        "broker-frozen-20s" => BrokerFrozenAsync(row, dir, TimeSpan.FromSeconds(20), cancellationToken),
        "broker-frozen-150s" => BrokerFrozenAsync(row, dir, TimeSpan.FromSeconds(150), cancellationToken),
        "silo-sigstop-15s" => SiloFrozenAsync(row, dir, TimeSpan.FromSeconds(15), cancellationToken),
        "poison-record" => PoisonRecordAsync(row, dir, cancellationToken),
        "embedded-kill9" => EmbeddedKillAsync(row, dir, cancellationToken),
        "disk-full-sink" => DiskFullSinkAsync(row, dir, cancellationToken),
        "rest-storm" => RestStormAsync(row, dir, cancellationToken),
        _ => throw new ArgumentException($"Unknown fault {name}."),
    };

    private Task<FaultRig> ClusterAsync(string dir, bool redisPersistent, CancellationToken cancellationToken, params string[] extraTopics) =>
        FaultRig.ClusterAsync(options, dir, redisPersistent, options.Pipelines, extraTopics, Say, cancellationToken);

    /// <summary>Redis killed and started empty on its port (compose's old <c>--save "" --appendonly no</c>), then kill -9
    /// of the busiest silo: its tasks must run elsewhere within the usual failover time; then SIGTERM of another silo.</summary>
    private async Task RedisRestartEmptyAsync(FaultRow row, string dir, CancellationToken cancellationToken)
    {
        await using var rig = await ClusterAsync(dir, redisPersistent: false, cancellationToken);
        var redis = rig.Redis!;
        await rig.StartPipelinesAsync(flowing: true, cancellationToken);
        rig.Poller.Phase = During;
        await redis.KillAsync();
        await redis.StartAsync(cancellationToken, empty: true);
        options.Pids.Record(redis.Pid, "redis-server");
        Say("  Redis killed and started empty; kill -9 of the busiest silo in 5 s");
        await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken);
        var victim = await rig.BusiestAsync(sourcesOnly: false, cancellationToken);
        var watermarks = rig.Watermarks();
        var clock = Stopwatch.StartNew();
        await victim.KillAsync();
        var (running, caughtUp) = await rig.RecoverAsync(clock, watermarks, [victim.WorkerId], cancellationToken);
        row.Running = FaultRow.Seconds(running, options.RecoveryTimeout) + " after the kill";
        row.CaughtUp = FaultRow.Seconds(caughtUp, options.RecoveryTimeout) + " after the kill";
        row.Note($"Redis restarted empty, 5 s later kill -9 of {victim.WorkerId}; tasks RUNNING elsewhere {row.Running}");

        var other = rig.Silos.First(s => s.IsRunning);
        var exit = await other.TerminateAsync(TimeSpan.FromSeconds(150), cancellationToken);
        row.Note($"then SIGTERM of {other.WorkerId}: exited after {FaultRow.Seconds(exit, TimeSpan.FromSeconds(150))}");
        var moved = Stopwatch.StartNew();
        var again = await rig.UntilAllRunningAsync(moved, options.RecoveryTimeout, [victim.WorkerId, other.WorkerId], cancellationToken);
        row.Note($"every task RUNNING on the last silo {FaultRow.Seconds(again, options.RecoveryTimeout)} after that exit");
        await EndAsync(rig, row, cancellationToken);
    }

    /// <summary>Redis (with its append-only file) stopped for the outage; 5 s in, kill -9 of the busiest silo; Redis back
    /// with its data.</summary>
    private async Task RedisDownKillAsync(FaultRow row, string dir, CancellationToken cancellationToken)
    {
        await using var rig = await ClusterAsync(dir, redisPersistent: true, cancellationToken);
        var redis = rig.Redis!;
        await rig.StartPipelinesAsync(flowing: true, cancellationToken);
        var victim = await rig.BusiestAsync(sourcesOnly: false, cancellationToken);
        rig.Poller.Phase = During;
        var outage = Stopwatch.StartNew();
        await redis.StopAsync(cancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken);
        await victim.KillAsync();
        Say($"  Redis stopped; kill -9 of {victim.WorkerId} 5 s in; Redis back after {options.Outage.TotalSeconds:0} s");
        await Task.Delay(options.Outage - outage.Elapsed, cancellationToken);
        await RecoverFromAsync(rig, row, () => StartRedisAsync(redis, cancellationToken), [victim.WorkerId], "Redis is back", cancellationToken);
        row.Note($"Redis (append-only file) stopped {options.Outage.TotalSeconds:0} s; kill -9 of {victim.WorkerId} 5 s into it");
        await EndAsync(rig, row, cancellationToken);
    }

    private async Task StartRedisAsync(RedisServer redis, CancellationToken cancellationToken)
    {
        await redis.StartAsync(cancellationToken);
        options.Pids.Record(redis.Pid, "redis-server");
    }

    /// <summary>PostgreSQL (grain state) stopped with <c>pg_ctl stop -m fast</c> for the outage, then started again.</summary>
    private async Task PostgresDownAsync(FaultRow row, string dir, CancellationToken cancellationToken)
    {
        await using var rig = await ClusterAsync(dir, redisPersistent: true, cancellationToken);
        var postgres = rig.Postgres!;
        await rig.StartPipelinesAsync(flowing: true, cancellationToken);
        rig.Poller.Phase = During;
        await postgres.StopAsync();
        Say($"  PostgreSQL stopped for {options.Outage.TotalSeconds:0} s");
        await Task.Delay(options.Outage, cancellationToken);
        await RecoverFromAsync(rig, row, async () =>
        {
            await postgres.StartAgainAsync();
            options.Pids.Record(postgres.PostmasterPid, "postgres", postgres.Root);
        }, [], "PostgreSQL is back", cancellationToken);
        row.Note($"PostgreSQL stopped (-m fast) {options.Outage.TotalSeconds:0} s");
        await EndAsync(rig, row, cancellationToken);
    }

    /// <summary>The broker's process frozen with SIGSTOP, then SIGCONT. Past delivery.timeout.ms (120 s) a source task
    /// should go FAILED and recover.</summary>
    private async Task BrokerFrozenAsync(FaultRow row, string dir, TimeSpan freeze, CancellationToken cancellationToken)
    {
        await using var rig = await ClusterAsync(dir, redisPersistent: true, cancellationToken);
        var broker = rig.Broker!;
        await rig.StartPipelinesAsync(flowing: true, cancellationToken);
        rig.Poller.Phase = During;
        var frozenAt = rig.Poller.Now;
        broker.Freeze();
        Say($"  broker frozen for {freeze.TotalSeconds:0} s");
        await Task.Delay(freeze, cancellationToken);
        await RecoverFromAsync(rig, row, () =>
        {
            broker.Thaw();
            return Task.CompletedTask;
        }, [], "SIGCONT", cancellationToken);
        row.Note($"broker process frozen {freeze.TotalSeconds:0} s");
        NoteFailed(rig, row, frozenAt, "the freeze");
        await EndAsync(rig, row, cancellationToken);
    }

    /// <summary>The silo running the most source tasks frozen with SIGSTOP, then woken: it was declared dead meanwhile, so
    /// it must publish nothing more (duplicates first read after the wake are counted apart) and stop itself.</summary>
    private async Task SiloFrozenAsync(FaultRow row, string dir, TimeSpan freeze, CancellationToken cancellationToken)
    {
        await using var rig = await ClusterAsync(dir, redisPersistent: true, cancellationToken);
        await rig.StartPipelinesAsync(flowing: true, cancellationToken);
        var victim = await rig.BusiestAsync(sourcesOnly: true, cancellationToken);
        rig.Poller.Phase = During;
        var clock = Stopwatch.StartNew();
        victim.Freeze();
        Say($"  {victim.WorkerId} frozen for {freeze.TotalSeconds:0} s");
        var elsewhere = await rig.UntilAllRunningAsync(clock, freeze, [victim.WorkerId], cancellationToken);
        row.Running = elsewhere is { } e ? $"{e.TotalSeconds:0.0} s after SIGSTOP (elsewhere)" : $"not while frozen ({freeze.TotalSeconds:0} s)";
        if (clock.Elapsed < freeze) await Task.Delay(freeze - clock.Elapsed, cancellationToken);

        var watermarks = rig.Watermarks();
        var wokenAt = Stopwatch.GetTimestamp();
        var woken = Stopwatch.StartNew();
        victim.Thaw();
        rig.Poller.Phase = After;
        var stopped = await victim.WaitForExitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        row.Note(stopped ? $"the woken silo {victim.WorkerId} exited {woken.Elapsed.TotalSeconds:0.0} s after SIGCONT"
            : $"the woken silo {victim.WorkerId} still runs 30 s after SIGCONT");
        var (running, caughtUp) = await rig.RecoverAsync(woken, watermarks, [victim.WorkerId], cancellationToken);
        if (elsewhere is null) row.Running = FaultRow.Seconds(running, options.RecoveryTimeout) + " after SIGCONT";
        row.CaughtUp = FaultRow.Seconds(caughtUp, options.RecoveryTimeout) + " after SIGCONT";
        RestFigures(rig, row);
        rig.Poller.Phase = null;
        await rig.FinishAsync(row, FinalWait, cancellationToken);
        var late = rig.Pipelines.Sum(p => p.Output.DuplicatesSeenAfter(wokenAt));
        row.Note($"{victim.WorkerId} frozen {freeze.TotalSeconds:0} s; of the {row.Duplicates} duplicates, {late} were first read after SIGCONT " +
            "(the woken silo's; the rest are the replacement's replay of uncommitted offsets)");
    }

    /// <summary>A 2 MiB line (over the producer's message.max.bytes) after 2,000 lines, then 1,000 more, on the embedded
    /// default: the source task fails; each automatic restart must not send the lines before it again.</summary>
    private async Task PoisonRecordAsync(FaultRow row, string dir, CancellationToken cancellationToken)
    {
        const int before = 2_000, after = 1_000;
        await using var rig = await FaultRig.EmbeddedAsync(options, dir, 1, null, Say, cancellationToken);
        var pipeline = rig.Pipelines[0];
        pipeline.Append(before);
        pipeline.AppendForeign("POISON " + new string('x', 2 << 20));
        pipeline.Append(after);
        rig.Poller.Phase = During;
        await rig.StartPipelinesAsync(flowing: false, cancellationToken);
        Say($"  {before} lines, a 2 MiB line, {after} lines; watching the sink for {options.PoisonWatch.TotalSeconds:0} s");
        var clock = Stopwatch.StartNew();
        var samples = new List<string>();
        for (var at = TimeSpan.FromSeconds(10); at <= options.PoisonWatch; at += TimeSpan.FromSeconds(10))
        {
            await Task.Delay(at - clock.Elapsed, cancellationToken);
            pipeline.Output.Refresh();
            samples.Add(pipeline.Output.Total.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        RestFigures(rig, row, flowing: false);
        rig.Poller.Phase = null;
        rig.Measure(row, [before]);
        var source = $"{pipeline.Source}-0";
        row.Running = rig.Poller.FirstFailed.ContainsKey(source)
            ? $"FAILED, restarting (≥ {rig.Poller.FailedEpisodes(source)} failures seen)" : "never FAILED";
        row.CaughtUp = "n/a (the poison line stays)";
        row.Note($"sink lines every 10 s: {string.Join(" → ", samples)} (the {before} lines before the poison line; the {after} after it are not expected)");
        NoteFailed(rig, row, 0, "the run");
        var final = await rig.StatesAsync(rig.Silos, cancellationToken);
        row.Note("at the end: " + (final is null ? "no listing" : string.Join(", ", final.Select(t => $"{t.Connector}-{t.Task} {t.State}"))));
    }

    /// <summary>kill -9 of the embedded default mid-stream, then a start on the same data dir.</summary>
    private async Task EmbeddedKillAsync(FaultRow row, string dir, CancellationToken cancellationToken)
    {
        await using var rig = await FaultRig.EmbeddedAsync(options, dir, 2, null, Say, cancellationToken);
        await rig.StartPipelinesAsync(flowing: true, cancellationToken);
        var silo = rig.Silos[0];
        // Mid-stream: some thousands of lines through, the writer still going.
        var streaming = Stopwatch.StartNew();
        if (await rig.UntilCaughtUpAsync([.. rig.Pipelines.Select(_ => 2_000L)], streaming, TimeSpan.FromSeconds(60), cancellationToken) is null)
            throw new TimeoutException($"The sinks did not reach 2,000 lines within 60 s: {rig.Progress()}");
        rig.Poller.Phase = During;
        var watermarks = rig.Watermarks();
        var clock = Stopwatch.StartNew();
        await silo.KillAsync();
        await rig.StartSiloAsync(silo, cancellationToken);
        var restarted = clock.Elapsed;
        rig.Poller.Phase = After;
        var (running, caughtUp) = await rig.RecoverAsync(clock, watermarks, [], cancellationToken);
        row.Running = FaultRow.Seconds(running, options.RecoveryTimeout) + " after the kill";
        row.CaughtUp = FaultRow.Seconds(caughtUp, options.RecoveryTimeout) + " after the kill";
        row.Note($"kill -9 after {watermarks.Sum():N0} lines written; healthy again {restarted.TotalSeconds:0.0} s after the kill (same data dir)");
        await EndAsync(rig, row, cancellationToken);
    }

    /// <summary>FileStreamSink writing to a small tmpfs that another file fills up; the space is freed once the sink task
    /// is seen FAILED (and 10 s more). The file must end on a complete line and hold no torn one.</summary>
    private async Task DiskFullSinkAsync(FaultRow row, string dir, CancellationToken cancellationToken)
    {
        if (Environment.UserName != "root")
        {
            row.Skipped = "mounting a tmpfs needs root (the bench runs as " + Environment.UserName + ")";
            return;
        }
        var mount = Path.Combine(dir, "small-fs");
        Directory.CreateDirectory(mount);
        var mounted = await RunAsync("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", mount], cancellationToken);
        if (mounted is not null)
        {
            row.Skipped = "mount -t tmpfs failed: " + mounted;
            return;
        }
        options.Pids.RecordMount(mount);
        try
        {
            await using var rig = await FaultRig.EmbeddedAsync(options, dir, 1, mount, Say, cancellationToken);
            await rig.StartPipelinesAsync(flowing: true, cancellationToken);
            var filler = Path.Combine(mount, "filler");
            rig.Poller.Phase = During;
            var filled = Fill(filler);
            Say($"  {mount} (tmpfs, 4 MiB) filled with {filled:N0} bytes; waiting for the sink task to fail");
            var sink = $"{rig.Pipelines[0].Sink}-0";
            var failing = Stopwatch.StartNew();
            await SiloBench.UntilAsync(() => Task.FromResult(rig.Poller.FirstFailed.ContainsKey(sink)), TimeSpan.FromSeconds(60),
                () => $"{sink} FAILED after the disk filled ({rig.Progress()})", cancellationToken, TimeSpan.FromMilliseconds(200));
            row.Note($"sink task FAILED {failing.Elapsed.TotalSeconds:0.0} s after the disk filled");
            await Task.Delay(TimeSpan.FromSeconds(10), cancellationToken);
            await RecoverFromAsync(rig, row, () =>
            {
                File.Delete(filler);
                return Task.CompletedTask;
            }, [], "the space was freed", cancellationToken);
            NoteFailed(rig, row, 0, "the run");
            await EndAsync(rig, row, cancellationToken);
        }
        finally
        {
            if (await RunAsync("umount", [mount], CancellationToken.None) is { } error) Say($"  umount {mount} failed: {error}");
        }
    }

    /// <summary>Writes zeros until the filesystem is full; the bytes written.</summary>
    private static long Fill(string path)
    {
        var chunk = new byte[64 << 10];
        long written = 0;
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.ReadWrite, 1, FileOptions.None);
        try
        {
            while (true)
            {
                stream.Write(chunk);
                written += chunk.Length;
            }
        }
        catch (IOException)
        {
            // ENOSPC: what did not fit is simply not there.
        }
        try { stream.Flush(); }
        catch (IOException) { }
        return written;
    }

    /// <summary>10 clients at once on one connector, 8 with PUT /connectors/storm/config (each a new config) and 2 with
    /// DELETE /connectors/storm, spread over the silos, for 20 rounds; then every silo must agree on whether it exists.</summary>
    private async Task RestStormAsync(FaultRow row, string dir, CancellationToken cancellationToken)
    {
        const int clients = 10, rounds = 20;
        const string storm = "storm", stormTopic = "storm-lines";
        await using var rig = await ClusterAsync(dir, redisPersistent: true, cancellationToken, stormTopic);
        await rig.StartPipelinesAsync(flowing: true, cancellationToken);
        var input = Path.Combine(dir, "storm.txt");
        await File.WriteAllTextAsync(input, "one line\n", cancellationToken);
        // A new batch.size each time, so that every PUT is a real reconfiguration.
        string Config(int version) =>
            $$"""{"connector.class":"FileStreamSource","file":"{{input}}","topic":"{{stormTopic}}","batch.size":"{{100 + version}}"}""";
        var puts = new Outcomes();
        var deletes = new Outcomes();
        var examples = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        rig.Poller.Phase = During;
        Say($"  {clients} clients × {rounds} rounds on /connectors/{storm}: 8 PUT /config and 2 DELETE at once per round, spread over the silos");
        var silos = rig.Silos;
        for (var round = 0; round < rounds; round++)
        {
            var version = round * clients;
            await Task.WhenAll(Enumerable.Range(0, clients).Select(async client =>
            {
                var silo = silos[(round + client) % silos.Count];
                var delete = client % 5 == 4;
                var answer = delete
                    ? await rig.Rest.SendAsync(HttpMethod.Delete, new Uri(silo.BaseAddress, $"connectors/{storm}"), null, TimeSpan.FromSeconds(30), cancellationToken)
                    : await rig.Rest.SendAsync(HttpMethod.Put, new Uri(silo.BaseAddress, $"connectors/{storm}/config"), Config(version + client),
                        TimeSpan.FromSeconds(30), cancellationToken);
                (delete ? deletes : puts).Add(answer.Outcome);
                if (answer.Failure is not null || answer.Status >= 500)
                    examples.AddOrUpdate($"{(delete ? "DELETE" : "PUT")} {answer.Outcome}: {Short(answer.Body)}", 1, (_, n) => n + 1);
            }));
        }
        rig.Poller.Phase = null;
        row.Rest = $"PUT {puts}; DELETE {deletes}";
        row.StackTraces = rig.Poller.StackTraces(During);
        row.Note($"the pollers' answers meanwhile: {rig.Poller.Answers(During)}; not 2xx: {rig.Poller.Failures(During)}");
        // Alike answers once, with their count (the message names the silos and the message, so they differ a little).
        foreach (var group in examples.GroupBy(e => e.Key[..Math.Min(60, e.Key.Length)]).Take(3))
            row.Note($"{group.Sum(e => e.Value)} × {group.First().Key}");

        // The final state: every silo gives the same answer for the connector (all 404, or all 200 with its config).
        var clock = Stopwatch.StartNew();
        string? agreed = null;
        while (clock.Elapsed < TimeSpan.FromSeconds(30) && agreed is null)
        {
            var answers = await Task.WhenAll(silos.Select(s =>
                rig.Rest.SendAsync(HttpMethod.Get, new Uri(s.BaseAddress, $"connectors/{storm}/status"), null, TimeSpan.FromSeconds(5), cancellationToken)));
            if (answers.Select(a => a.Status).Distinct().Count() == 1 && answers[0].Status is 200 or 404) agreed = answers[0].Outcome;
            else await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
        }
        row.Note(agreed is null ? "the silos did not agree on the connector's existence within 30 s"
            : $"final state agreed by every silo after {clock.Elapsed.TotalSeconds:0.0} s: GET /connectors/{storm}/status {agreed}");
        row.Running = "n/a";
        row.CaughtUp = "n/a";
        await rig.FinishAsync(row, FinalWait, cancellationToken);
    }

    /// <summary>Clears a fault (<paramref name="clear"/>), then measures from that moment until every task is RUNNING on
    /// a live silo and the sinks hold every line written before it; the poller counts the answers after it apart.</summary>
    private async Task RecoverFromAsync(FaultRig rig, FaultRow row, Func<Task> clear, IReadOnlyCollection<string> exclude, string moment,
        CancellationToken cancellationToken)
    {
        var watermarks = rig.Watermarks();
        await clear();
        var clock = Stopwatch.StartNew();
        rig.Poller.Phase = After;
        var (running, caughtUp) = await rig.RecoverAsync(clock, watermarks, exclude, cancellationToken);
        row.Running = FaultRow.Seconds(running, options.RecoveryTimeout) + $" after {moment}";
        row.CaughtUp = FaultRow.Seconds(caughtUp, options.RecoveryTimeout) + $" after {moment}";
    }

    /// <summary>The REST figures of the fault's two phases, then the lines' figures once the writer stopped.</summary>
    private async Task EndAsync(FaultRig rig, FaultRow row, CancellationToken cancellationToken)
    {
        RestFigures(rig, row);
        rig.Poller.Phase = null;
        await rig.FinishAsync(row, FinalWait, cancellationToken);
    }

    private void RestFigures(FaultRig rig, FaultRow row, bool flowing = true)
    {
        var poller = rig.Poller;
        if (flowing) row.Note($"the sinks were at most {rig.MaxBehind(During):N0} lines behind the inputs during the fault, {rig.MaxBehind(After):N0} after it " +
            $"({rig.Pipelines.Count} × {options.LinesPerSecond} lines/s written)");
        row.Rest = poller.Answers(During).ToString();
        row.StackTraces = poller.StackTraces(During) + poller.StackTraces(After);
        if (poller.Answers(During).NotOk > 0) row.Note($"not 2xx during the fault: {poller.Failures(During)}");
        if (poller.Answers(After).Total > 0) row.Note($"REST answers after it, until recovered: {poller.Answers(After)}" +
            (poller.Answers(After).NotOk > 0 ? $" ({poller.Failures(After)})" : ""));
        if (poller.StackTraceExample is { } example) row.Note("a stack trace: " + example);
    }

    /// <summary>Which tasks were seen FAILED (since <paramref name="since"/> on the poller's clock), when and why.</summary>
    private static void NoteFailed(FaultRig rig, FaultRow row, long since, string what)
    {
        var failed = rig.Poller.FirstFailed.Where(f => f.Value.At >= since).OrderBy(f => f.Value.At).ToList();
        if (failed.Count == 0)
        {
            row.Note($"no task seen FAILED during {what}");
            return;
        }
        foreach (var (task, (at, trace)) in failed)
            row.Note($"{task} first seen FAILED {(at - since) / 1000.0:0.0} s into {what} (went FAILED at least {rig.Poller.FailedEpisodes(task)} times, " +
                $"FAILED in {rig.Poller.FailedSightings(task)} listings): {trace}");
    }

    private static string Short(string body) => body.Length > 200 ? body[..200] + "…" : body;

    /// <summary>Runs a program; null when it succeeded, else its exit code and output.</summary>
    private static async Task<string?> RunAsync(string program, IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        try
        {
            using var process = Process.Start(info)!;
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            return process.ExitCode == 0 ? null : $"exit code {process.ExitCode}: {(await stdout + await stderr).Trim()}";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return e.Message;
        }
    }

    private void Say(string line) => output.WriteLine($"[{_run.Elapsed.TotalSeconds,6:0.0}] {line}");
}
