using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Text.Json;
using Confluent.Kafka;
using Npgsql;
using OrleansConnect.Bench;
using OrleansConnect.Grains.Kafka;

// Usage: OrleansConnect.Cdc --repo DIR [--rows N] [--latency-seconds S] [--rate R] [--pid-file PATH]
// One table (5 columns) of N rows snapshotted, then N single-row inserts in transactions of 1 and N in transactions of
// 100 streamed, with the JsonConverter (schemas on), beside pg_recvlogical (pgoutput) reading the same changes from
// its own slot; then the commit-to-Kafka latency at R changes/s, and the silo's RSS; beside each phase the silo's CPU
// time per 1,000 changes. See bench/README.md.
var repo = "";
var rows = 1_000_000;
var latencySeconds = 20;
var rate = 1000;
string? pidPath = null;
for (var i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--repo": repo = Next(); break;
        case "--rows": rows = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--latency-seconds": latencySeconds = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--rate": rate = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--pid-file": pidPath = Next(); break;
        default:
            Console.Error.WriteLine($"Unknown option {args[i]}");
            return 2;
    }
}

using var cancellation = new CancellationTokenSource();
void Stop(PosixSignalContext context)
{
    if (cancellation.IsCancellationRequested) return;
    context.Cancel = true;
    Console.Error.WriteLine($"{context.Signal}: stopping, killing the silo and PostgreSQL...");
    cancellation.Cancel();
}
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
var ct = cancellation.Token;
var pids = new PidFile(pidPath);
var workDir = Directory.CreateTempSubdirectory("orleansconnect-cdc-").FullName;
void Say(string line) => Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {line}");

const string Topic = "cdc.public.bench";
await using var postgres = new PostgresServer(50, "-c wal_level=logical -c max_replication_slots=10 -c max_wal_senders=10");
await postgres.StartAsync(ct);
pids.Record(postgres.PostmasterPid, "postgres", postgres.Root);
var connectionString = await postgres.CreateDatabaseAsync("cdc", ct);
Say($"PostgreSQL 15 (wal_level=logical, fsync=off) on port {postgres.Port}");

using var broker = EmbeddedKafkaBroker.Start(1);
broker.CreateTopic("connect-offsets", 25, 1);
broker.CreateTopic(Topic, 1, 1);
Say($"Embedded Kafka-protocol broker (librdkafka's mock cluster, in this process): {broker.BootstrapServers}");

var siloDll = Path.Combine(repo, "Silo", "bin", "Release", "net10.0", "OrleansConnect.Silo.dll");
await using var silo = new SiloNode(siloDll, workDir, new Dictionary<string, string>
{
    ["bootstrap.servers"] = broker.BootstrapServers,
    ["group.id"] = "cdc-bench",
    ["offset.storage.replication.factor"] = "1",
    ["producer.compression.type"] = "lz4",
});
await silo.StartAsync(TimeSpan.FromSeconds(120), ct, pid => pids.Record(pid, "silo"));
Say($"Silo (Release) healthy, pid {silo.Pid}");

long maxRssKiB = 0;
using var sampling = CancellationTokenSource.CreateLinkedTokenSource(ct);
var sampler = Task.Run(async () =>
{
    while (!sampling.IsCancellationRequested)
    {
        if (silo.Pid is { } pid) maxRssKiB = Math.Max(maxRssKiB, ProcSample.Read(pid).RssKiB);
        try { await Task.Delay(200, sampling.Token); } catch (OperationCanceledException) { }
    }
});

// The silo's CPU time (user+sys) and the machine's busy share over a phase: a figure other load on the cores does not
// change much, beside the wall-clock rates that it does.
(double SiloSeconds, long Busy, long Total) CpuMark()
{
    var (busy, total) = ProcSample.MachineTicks();
    return ((ProcSample.CpuTicks(silo.Pid!.Value) ?? 0) / (double)ProcSample.ClockTicksPerSecond, busy, total);
}
string CpuSince((double SiloSeconds, long Busy, long Total) start, long changes)
{
    var end = CpuMark();
    var siloCpu = end.SiloSeconds - start.SiloSeconds;
    var machine = (end.Busy - start.Busy) / (double)Math.Max(1, end.Total - start.Total) * Environment.ProcessorCount;
    return $"{siloCpu * 1000 / (changes / 1000.0):0.0} ms CPU/1k ({siloCpu:0.0} s silo CPU, machine {machine:0.0} cores busy)";
}

async Task ExecAsync(string sql)
{
    await using var connection = new NpgsqlConnection(connectionString);
    await connection.OpenAsync(ct);
    await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
    await command.ExecuteNonQueryAsync(ct);
}

async Task<string> ScalarAsync(string sql)
{
    await using var connection = new NpgsqlConnection(connectionString);
    await connection.OpenAsync(ct);
    await using var command = new NpgsqlCommand(sql, connection);
    return Convert.ToString(await command.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture)!;
}

using var watermarks = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = broker.BootstrapServers, GroupId = "cdc-watermarks" }).Build();
long Produced() => watermarks.QueryWatermarkOffsets(new TopicPartition(Topic, 0), TimeSpan.FromSeconds(10)).High.Value;

async Task<TimeSpan> UntilProducedAsync(long target, Stopwatch clock)
{
    await SiloBench.UntilAsync(() => Task.FromResult(Produced() >= target), TimeSpan.FromMinutes(30),
        () => $"{target} records in {Topic} (have {Produced()}); silo log:\n{silo.Tail()}", ct, TimeSpan.FromMilliseconds(50));
    return clock.Elapsed;
}

async Task SetStateAsync(string verb)
{
    using var response = await silo.Client.PutAsync(new Uri(silo.BaseAddress, $"connectors/pg/{verb}"), null, ct);
    response.EnsureSuccessStatusCode();
}

async Task<string> TaskStateAsync()
{
    var status = await silo.Client.GetFromJsonAsync<JsonElement>(new Uri(silo.BaseAddress, "connectors/pg/status"), ct);
    var tasks = status.GetProperty("tasks");
    return tasks.GetArrayLength() == 0 ? "none" : tasks[0].GetProperty("state").GetString()!;
}

var results = new List<string>();
try
{
    // 1. Snapshot.
    await ExecAsync("""
        CREATE TABLE public.bench (id int8 PRIMARY KEY, qty int4 NOT NULL, price numeric(10,2), name text, created timestamptz NOT NULL DEFAULT now());
        CREATE PROCEDURE public.bench_insert(first int8, n int8, per_tx int) LANGUAGE plpgsql AS $$
        BEGIN
          FOR i IN 0..n - 1 LOOP
            INSERT INTO public.bench (id, qty, price, name) VALUES (first + i, (first + i) % 1000, 9.99, 'name ' || (first + i));
            IF (i + 1) % per_tx = 0 THEN COMMIT; END IF;
          END LOOP;
          COMMIT;
        END $$;
        """);
    await ExecAsync($"INSERT INTO public.bench (id, qty, price, name) SELECT g, g % 1000, 9.99, 'name ' || g FROM generate_series(1, {rows}) g");
    await ExecAsync("VACUUM ANALYZE public.bench");
    Say($"Loaded {rows:N0} rows");

    var config = new Dictionary<string, string>
    {
        ["connector.class"] = "io.debezium.connector.postgresql.PostgresConnector",
        ["database.hostname"] = "127.0.0.1",
        ["database.port"] = postgres.Port.ToString(CultureInfo.InvariantCulture),
        ["database.user"] = "postgres",
        ["database.password"] = "unused",
        ["database.dbname"] = "cdc",
        ["topic.prefix"] = "cdc",
        ["table.include.list"] = "public.bench",
        ["plugin.name"] = "pgoutput",
        ["publication.autocreate.mode"] = "filtered",
        ["key.converter"] = "org.apache.kafka.connect.json.JsonConverter",
        ["key.converter.schemas.enable"] = "true",
        ["value.converter"] = "org.apache.kafka.connect.json.JsonConverter",
        ["value.converter.schemas.enable"] = "true",
    };
    var clock = Stopwatch.StartNew();
    var cpu = CpuMark();
    await silo.CreateConnectorAsync("pg", config, ct);
    var snapshot = await UntilProducedAsync(rows, clock);
    results.Add($"| snapshot | {rows:N0} rows | {rows / snapshot.TotalSeconds:N0} rows/s ({snapshot.TotalSeconds:0.0} s from the create); {CpuSince(cpu, rows)} | – |");
    Say(results[^1]);
    var produced = (long)rows;

    // 2. Streaming, in transactions of 1 and of 100 rows: written while the connector is paused, then read by the
    // connector (from its resume) and by pg_recvlogical (from a slot created before the writes), one after the other.
    var nextId = (long)rows + 1;
    foreach (var perTx in new[] { 1, 100 })
    {
        await SiloBench.UntilAsync(async () => await TaskStateAsync() == "RUNNING", TimeSpan.FromMinutes(2), () => "task RUNNING", ct);
        await SetStateAsync("pause");
        await SiloBench.UntilAsync(async () => await TaskStateAsync() == "PAUSED", TimeSpan.FromMinutes(2), () => "task PAUSED", ct);
        var slot = $"recv_{perTx}";
        await ExecAsync($"SELECT pg_create_logical_replication_slot('{slot}', 'pgoutput')");
        var write = Stopwatch.StartNew();
        await ExecAsync($"CALL public.bench_insert({nextId}, {rows}, {perTx})");
        Say($"Wrote {rows:N0} inserts in transactions of {perTx} in {write.Elapsed.TotalSeconds:0.0} s");
        nextId += rows;
        var end = await ScalarAsync("SELECT pg_current_wal_lsn()::text");

        clock = Stopwatch.StartNew();
        cpu = CpuMark();
        await SetStateAsync("resume");
        produced += rows;
        var streamed = await UntilProducedAsync(produced, clock);
        var streamedCpu = CpuSince(cpu, rows);

        var recv = Stopwatch.StartNew();
        var info = new ProcessStartInfo("/usr/lib/postgresql/15/bin/pg_recvlogical") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-h", "127.0.0.1", "-p", postgres.Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", "-d", "cdc",
                     "-S", slot, "--start", "-E", end, "-f", "/dev/null", "-o", "proto_version=1", "-o", "publication_names=dbz_publication", "--no-loop" })
            info.ArgumentList.Add(a);
        using (var process = Process.Start(info)!)
        {
            pids.Record(process.Id, "pg_recvlogical");
            var stderr = process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            if (process.ExitCode != 0) throw new InvalidOperationException($"pg_recvlogical exited with {process.ExitCode}: {await stderr}");
        }
        var recvSeconds = recv.Elapsed.TotalSeconds;
        await ExecAsync($"SELECT pg_drop_replication_slot('{slot}')");
        results.Add($"| streaming, transactions of {perTx} | {rows:N0} inserts | {rows / streamed.TotalSeconds:N0} changes/s ({streamed.TotalSeconds:0.0} s from the resume); {streamedCpu} "
            + $"| {rows / recvSeconds:N0} changes/s ({recvSeconds:0.0} s) |");
        Say(results[^1]);
    }

    // 3. Commit-to-Kafka latency at `rate` single-row transactions/s: from the commit time in source.ts_ms to the
    // moment this process's consumer holds the record (an upper bound: it includes the consumer's fetch).
    var latencies = new List<double>();
    using var consuming = CancellationTokenSource.CreateLinkedTokenSource(ct);
    var consumer = Task.Factory.StartNew(() =>
    {
        using var c = new ConsumerBuilder<Ignore, byte[]>(new ConsumerConfig
        {
            BootstrapServers = broker.BootstrapServers, GroupId = "cdc-latency", FetchWaitMaxMs = 5, EnableAutoCommit = false,
        }).Build();
        c.Assign(new TopicPartitionOffset(Topic, 0, produced));
        while (!consuming.IsCancellationRequested)
        {
            var result = c.Consume(TimeSpan.FromMilliseconds(100));
            if (result?.Message?.Value is not { } value) continue;
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            using var json = JsonDocument.Parse(value);
            var committed = json.RootElement.GetProperty("payload").GetProperty("source").GetProperty("ts_ms").GetInt64();
            lock (latencies) latencies.Add(now - committed);
        }
    }, TaskCreationOptions.LongRunning);
    await using (var writer = new NpgsqlConnection(connectionString))
    {
        await writer.OpenAsync(ct);
        var total = rate * latencySeconds;
        cpu = CpuMark();
        var paced = Stopwatch.StartNew();
        for (var n = 0; n < total; n++)
        {
            var due = TimeSpan.FromSeconds((double)n / rate);
            if (paced.Elapsed < due) await Task.Delay(due - paced.Elapsed, ct);
            await using var command = new NpgsqlCommand($"INSERT INTO public.bench (id, qty, price, name) VALUES ({nextId + n}, 1, 1.00, 'latency')", writer);
            await command.ExecuteNonQueryAsync(ct);
        }
        var achieved = total / paced.Elapsed.TotalSeconds;
        produced += total;
        await UntilProducedAsync(produced, Stopwatch.StartNew());
        await SiloBench.UntilAsync(() => { lock (latencies) return Task.FromResult(latencies.Count >= total); }, TimeSpan.FromMinutes(2),
            () => $"{total} records consumed", ct);
        var latencyCpu = CpuSince(cpu, total);
        await consuming.CancelAsync();
        await consumer;
        List<double> sample;
        lock (latencies) sample = [.. latencies];
        results.Add($"| latency at {achieved:N0} changes/s | {total:N0} inserts | p50 {SiloBench.Percentile(sample, 50):0} ms, p99 {SiloBench.Percentile(sample, 99):0} ms, "
            + $"max {sample.Max():0} ms; {latencyCpu} | – |");
        Say(results[^1]);
    }
}
finally
{
    await sampling.CancelAsync();
    await sampler;
}

Console.WriteLine();
Console.WriteLine($"CDC bench: {rows:N0} rows, JsonConverter with schemas, {Environment.ProcessorCount} cores, PostgreSQL, broker and silo on this machine");
Console.WriteLine("| phase | size | OrleansConnect | pg_recvlogical (pgoutput, same changes) |");
Console.WriteLine("|---|---|---|---|");
foreach (var line in results) Console.WriteLine(line);
Console.WriteLine($"Silo RSS, highest sample: {maxRssKiB / 1024.0:0} MB");
try { Directory.Delete(workDir, recursive: true); } catch (IOException) { }
return 0;
