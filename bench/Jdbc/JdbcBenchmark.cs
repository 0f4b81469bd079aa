using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Confluent.Kafka;
using Npgsql;
using OrleansConnect.Bench;
using OrleansConnect.Grains.Kafka;

namespace OrleansConnect.Jdbc;

/// <summary>One run: a throwaway PostgreSQL, an embedded Kafka-protocol broker in this process and one silo process.
/// psql's COPY FROM STDIN loads the rows (the reference), then the JDBC sink loads the same rows from a topic in insert
/// and in upsert mode; psql's COPY TO STDOUT reads the table (the reference), then the JDBC source reads it into a topic
/// in incrementing mode. Each row of the report: rows/s over the whole run and between the 10 % and 90 % marks, and the
/// ratio to COPY.</summary>
public sealed class JdbcBenchmark(JdbcOptions options, string workDir, TextWriter output)
{
    private const string Psql = "/usr/lib/postgresql/15/bin/psql";
    private const string Database = "jdbcbench";
    private const string Topic = "jdbc-bench";
    private const string WarmupTopic = "jdbc-bench-warmup";
    private const int CopyRuns = 3;
    private static readonly TimeSpan SiloStartTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan PhaseTimeout = TimeSpan.FromMinutes(15);

    private readonly Stopwatch _run = Stopwatch.StartNew();
    private readonly List<Row> _rows = [];
    private readonly List<string> _notes = [];
    private string _setup = "";
    private PostgresServer? _postgres;

    private sealed record Row(string Name, long Records, double TotalSeconds, double? FirstSeconds, double? SteadyRate, double? CopyRate, string Cpu = "");

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        _setup = $"{options.Records:N0} records of a 10-column struct, topic of {options.Partitions} partitions (zstd), one task; " +
                 $"{Environment.ProcessorCount} cores; load average before the run {LoadAverage()}";
        Say(_setup + $"; work dir {workDir}");

        await using var postgres = _postgres = new PostgresServer(50);
        await postgres.StartAsync(cancellationToken);
        options.Pids.Record(postgres.PostmasterPid, "postgres", postgres.Root);
        var connectionString = await postgres.CreateDatabaseAsync(Database, cancellationToken);
        Say($"PostgreSQL 15 on 127.0.0.1:{postgres.Port} (fsync=off), database {Database}");
        await using var db = new NpgsqlConnection(connectionString + ";Command Timeout=600");
        await db.OpenAsync(cancellationToken);
        foreach (var table in new[] { "rows_copy", "rows_insert", "rows_upsert", "rows_warmup" })
            await ExecuteAsync(db, BenchRows.CreateTable(table), cancellationToken);

        using var broker = EmbeddedKafkaBroker.Start(3);
        broker.CreateTopic("connect-offsets", 25, 1);
        broker.CreateTopic(Topic, options.Partitions, 1);
        broker.CreateTopic(WarmupTopic, options.Partitions, 1);
        broker.CreateTopic("src-rows_copy", options.Partitions, 1);
        broker.CreateTopic("src-rows_warmup", options.Partitions, 1);
        Say($"Embedded Kafka-protocol broker (librdkafka's mock cluster, in this process): {broker.BootstrapServers}");

        var csv = Path.Combine(workDir, "rows.csv");
        var clock = Stopwatch.StartNew();
        await WriteCsvAsync(csv, options.Records, cancellationToken);
        Say($"Wrote {options.Records:N0} rows as CSV ({new FileInfo(csv).Length / 1048576.0:0.0} MiB) in {clock.Elapsed.TotalSeconds:0.0} s");
        var perPartition = Produce(broker.BootstrapServers, options.RunSink ? Topic : null, options.Records, options.Warmup, cancellationToken);

        var settings = new Dictionary<string, string>
        {
            ["bootstrap.servers"] = broker.BootstrapServers,
            ["group.id"] = "jdbc-bench",
            ["offset.storage.replication.factor"] = "1",
            ["offset.flush.interval.ms"] = "10000",
            ["key.converter"] = "org.apache.kafka.connect.json.JsonConverter",
            ["value.converter"] = "org.apache.kafka.connect.json.JsonConverter",
            ["value.converter.schemas.enable"] = "true",
            // The mock broker keeps at most 5 MiB per partition: the source's records must be compressed as the bench's are.
            ["producer.compression.type"] = "zstd",
        };
        await using var silo = new SiloNode(options.SiloDll, Path.Combine(workDir, "silo"), settings);
        clock.Restart();
        await silo.StartAsync(SiloStartTimeout, cancellationToken, pid => options.Pids.Record(pid, "silo"));
        Say($"Silo {silo.WorkerId} (pid {silo.Pid}) healthy after {clock.Elapsed.TotalSeconds:0.0} s; log {silo.LogPath}");
        var url = $"jdbc:postgresql://127.0.0.1:{postgres.Port}/{Database}";

        // COPY FROM STDIN first: the source reads the table it loaded.
        var copyIn = await CopyRunsAsync(db, $"COPY rows_copy ({BenchRows.Columns}) FROM STDIN (FORMAT csv)", "<", csv, "rows_copy", cancellationToken);
        var copyInRate = options.Records / copyIn;
        _rows.Add(new Row($"psql COPY … FROM STDIN (csv), median of {CopyRuns}", options.Records, copyIn, null, null, null));

        if (options.RunSink)
        {
            Say($"Warm-up (untimed): {options.Warmup:N0} records through the sink in insert mode");
            await SinkAsync(silo, db, url, "warmup-sink", WarmupTopic, "rows_warmup", "insert", perPartition.Warmup, options.Warmup, cancellationToken);
            foreach (var mode in new[] { "insert", "upsert" })
            {
                var table = "rows_" + mode;
                var (total, first, steady) = await SinkAsync(silo, db, url, mode + "-sink", Topic, table, mode, perPartition.Measured, options.Records, cancellationToken);
                _rows.Add(new Row($"JDBC sink, insert.mode={mode}", options.Records, total, first, steady, copyInRate, _lastCpu));
                await CheckSameRowsAsync(db, table, cancellationToken);
            }
        }

        if (options.RunSource)
        {
            var copyOut = await CopyRunsAsync(db, $"COPY rows_copy ({BenchRows.Columns}) TO STDOUT", ">", "/dev/null", null, cancellationToken);
            _rows.Add(new Row($"psql COPY … TO STDOUT (text), median of {CopyRuns}", options.Records, copyOut, null, null, null));
            if (options.RunSink)
            {
                Say($"Warm-up (untimed): the source reads the warm-up table ({options.Warmup:N0} rows)");
                await SourceAsync(silo, broker.BootstrapServers, url, "warmup-source", "rows_warmup", options.Warmup, cancellationToken);
            }
            var (total, first, steady) = await SourceAsync(silo, broker.BootstrapServers, url, "source", "rows_copy", options.Records, cancellationToken);
            _rows.Add(new Row("JDBC source, mode=incrementing", options.Records, total, first, steady, options.Records / copyOut, _lastCpu));
        }
        _notes.Add($"load average after the run {LoadAverage()}");
    }

    /// <summary>Per partition, the ids the bench produced there in order (record i goes to partition i mod P).</summary>
    private sealed record Layout(long[][] Measured, long[][] Warmup);

    private Layout Produce(string bootstrap, string? topic, int records, int warmup, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var config = new ProducerConfig
        {
            BootstrapServers = bootstrap,
            CompressionType = CompressionType.Zstd,
            LingerMs = 50,
            BatchSize = 1_000_000,
            EnableIdempotence = true,
        };
        using var producer = new ProducerBuilder<Null, byte[]>(config).Build();
        var failures = 0;
        void Sent(DeliveryReport<Null, byte[]> report)
        {
            if (report.Error.IsError) Interlocked.Increment(ref failures);
        }
        long[][] Send(string name, int count)
        {
            var ids = Enumerable.Range(0, options.Partitions).Select(p => new long[(count - p + options.Partitions - 1) / options.Partitions]).ToArray();
            for (var i = 0; i < count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var p = i % options.Partitions;
                ids[p][i / options.Partitions] = i;
                while (true)
                {
                    try
                    {
                        producer.Produce(new TopicPartition(name, p), new Message<Null, byte[]> { Value = BenchRows.Json(i) }, Sent);
                        break;
                    }
                    catch (ProduceException<Null, byte[]> e) when (e.Error.Code == Confluent.Kafka.ErrorCode.Local_QueueFull)
                    {
                        producer.Poll(TimeSpan.FromMilliseconds(100));
                    }
                }
            }
            return ids;
        }
        var warm = options.RunSink ? Send(WarmupTopic, warmup) : [];
        var measured = topic is null ? [] : Send(topic, records);
        producer.Flush(cancellationToken);
        if (failures > 0) throw new InvalidOperationException($"{failures} records could not be produced.");
        if (topic is not null)
        {
            using var probe = Probe(bootstrap);
            long retained = 0, high = 0;
            for (var p = 0; p < options.Partitions; p++)
            {
                var w = probe.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10));
                if (w.Low.Value != 0)
                    throw new InvalidOperationException($"The mock broker dropped the head of {topic}[{p}] (low watermark {w.Low.Value}): " +
                                                        "more partitions (--partitions) keep each under its 5 MiB.");
                high += w.High.Value;
                retained++;
            }
            if (high != records) throw new InvalidOperationException($"{topic} holds {high} records, not {records}.");
            Say($"Produced {records:N0} JsonConverter records ({BenchRows.Json(1).Length} bytes each uncompressed) into {topic} " +
                $"and {warmup:N0} into {WarmupTopic} in {clock.Elapsed.TotalSeconds:0.0} s; every partition still starts at offset 0");
        }
        return new Layout(measured, warm);
    }

    private static IConsumer<Ignore, Ignore> Probe(string bootstrap) =>
        new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = "jdbc-bench-probe" }).Build();

    private async Task<(double Total, double? First, double? Steady)> SinkAsync(SiloNode silo, NpgsqlConnection db, string url, string name, string topic,
        string table, string mode, long[][] ids, int records, CancellationToken cancellationToken)
    {
        var config = new Dictionary<string, string>
        {
            ["connector.class"] = "io.confluent.connect.jdbc.JdbcSinkConnector",
            ["tasks.max"] = "1",
            ["topics"] = topic,
            ["connection.url"] = url,
            ["connection.user"] = "postgres",
            ["table.name.format"] = table,
            ["insert.mode"] = mode,
            ["pk.mode"] = "record_value",
            ["pk.fields"] = "id",
            ["auto.create"] = "false",
        };
        foreach (var (key, value) in options.Sink) config[key] = value;
        // The marks: per partition the id at 10 %, 90 % and 100 % of its records. One task writes a partition in order
        // and commits each put, so a partition's mark being in the table means every row before it is too.
        long[] Marks(double fraction) => ids.Where(p => p.Length > 0).Select(p => p[Math.Max(0, (int)Math.Ceiling(fraction * p.Length) - 1)]).ToArray();
        var marks = new[] { Marks(0.1), Marks(0.9), Marks(1.0) };
        var steadyRows = ids.Where(p => p.Length > 0).Sum(p => (long)(Math.Ceiling(0.9 * p.Length) - Math.Ceiling(0.1 * p.Length)));
        await using var probe = new NpgsqlCommand(
            "SELECT EXISTS (SELECT 1 FROM " + table + "), (SELECT count(*) FROM " + table + " WHERE id = ANY($1)), " +
            "(SELECT count(*) FROM " + table + " WHERE id = ANY($2)), (SELECT count(*) FROM " + table + " WHERE id = ANY($3))", db);
        foreach (var m in marks) probe.Parameters.Add(new NpgsqlParameter { Value = m });
        await probe.PrepareAsync(cancellationToken);

        var cpu = CpuBefore(silo);
        var clock = Stopwatch.StartNew();
        await silo.CreateConnectorAsync(name, config, cancellationToken);
        double? first = null, t10 = null, t90 = null;
        var deadline = DateTime.UtcNow + PhaseTimeout;
        while (true)
        {
            await using (var reader = await probe.ExecuteReaderAsync(cancellationToken))
            {
                await reader.ReadAsync(cancellationToken);
                var now = clock.Elapsed.TotalSeconds;
                if (first is null && reader.GetBoolean(0)) first = now;
                if (t10 is null && reader.GetInt64(1) == marks[0].Length) t10 = now;
                if (t90 is null && reader.GetInt64(2) == marks[1].Length) t90 = now;
                if (reader.GetInt64(3) == marks[2].Length) break;
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{name}: not every row in {table} after {PhaseTimeout.TotalMinutes:0} minutes.\n{silo.Tail()}");
            if (clock.Elapsed.TotalSeconds > 5 && (int)clock.Elapsed.TotalSeconds % 5 == 0) await ThrowIfFailedAsync(silo, name, cancellationToken);
            await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken);
        }
        var total = clock.Elapsed.TotalSeconds;
        _lastCpu = CpuSince(silo, cpu);
        await DeleteConnectorAsync(silo, name, cancellationToken);
        var count = await ScalarAsync<long>(db, $"SELECT count(*) FROM {table}", cancellationToken);
        if (count != records) throw new InvalidOperationException($"{table} holds {count} rows after {name}, not {records}.");
        double? steady = t10 is { } a && t90 is { } b && b > a ? steadyRows / (b - a) : null;
        Say($"{name}: {records:N0} rows in {total:0.00} s from POST /connectors ({records / total:N0} rows/s), first row after {first:0.00} s, " +
            $"10-90 %: {(steady is { } s ? s.ToString("N0", CultureInfo.InvariantCulture) : "-")} rows/s");
        return (total, first, steady);
    }

    private async Task<(double Total, double? First, double? Steady)> SourceAsync(SiloNode silo, string bootstrap, string url, string name, string table,
        int records, CancellationToken cancellationToken)
    {
        var topic = "src-" + table;
        var config = new Dictionary<string, string>
        {
            ["connector.class"] = "io.confluent.connect.jdbc.JdbcSourceConnector",
            ["tasks.max"] = "1",
            ["connection.url"] = url,
            ["connection.user"] = "postgres",
            ["mode"] = "incrementing",
            ["incrementing.column.name"] = "id",
            ["table.whitelist"] = table,
            ["topic.prefix"] = "src-",
        };
        foreach (var (key, value) in options.Source) config[key] = value;
        using var probe = Probe(bootstrap);
        var partitions = Enumerable.Range(0, options.Partitions).Select(p => new TopicPartition(topic, p)).ToList();
        long Count() => partitions.Sum(tp => probe.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(10)).High.Value);
        var before = Count();
        if (before != 0) throw new InvalidOperationException($"{topic} already holds {before} records.");

        var cpu = CpuBefore(silo);
        var clock = Stopwatch.StartNew();
        await silo.CreateConnectorAsync(name, config, cancellationToken);
        double? first = null, t10 = null, t90 = null;
        long c10 = 0, c90 = 0;
        var deadline = DateTime.UtcNow + PhaseTimeout;
        while (true)
        {
            var count = await Task.Run(Count, cancellationToken);
            var now = clock.Elapsed.TotalSeconds;
            if (first is null && count > 0) first = now;
            if (t10 is null && count >= records / 10) (t10, c10) = (now, count);
            if (t90 is null && count >= records * 9L / 10) (t90, c90) = (now, count);
            if (count >= records) break;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{name}: {count} of {records} records in {topic} after {PhaseTimeout.TotalMinutes:0} minutes.\n{silo.Tail()}");
            if (clock.Elapsed.TotalSeconds > 5 && (int)clock.Elapsed.TotalSeconds % 5 == 0) await ThrowIfFailedAsync(silo, name, cancellationToken);
            await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken);
        }
        var total = clock.Elapsed.TotalSeconds;
        _lastCpu = CpuSince(silo, cpu);
        await DeleteConnectorAsync(silo, name, cancellationToken);
        var final = Count();
        if (final != records) throw new InvalidOperationException($"{topic} holds {final} records after {name}, not {records}.");
        double? steady = t10 is { } a && t90 is { } b && b > a ? (c90 - c10) / (b - a) : null;
        Say($"{name}: {records:N0} records in {total:0.00} s from POST /connectors ({records / total:N0} records/s), first after {first:0.00} s, " +
            $"10-90 %: {(steady is { } s ? s.ToString("N0", CultureInfo.InvariantCulture) : "-")} records/s");
        return (total, first, steady);
    }

    private static async Task ThrowIfFailedAsync(SiloNode silo, string name, CancellationToken cancellationToken)
    {
        var tasks = await silo.TasksAsync([name], cancellationToken);
        if (tasks.FirstOrDefault(t => t.State == "FAILED") is { } failed)
            throw new InvalidOperationException($"{name} task {failed.Task} FAILED: {failed.Trace}");
    }

    private static async Task DeleteConnectorAsync(SiloNode silo, string name, CancellationToken cancellationToken)
    {
        using (var response = await silo.Client.DeleteAsync(new Uri(silo.BaseAddress, $"connectors/{name}"), cancellationToken))
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"DELETE /connectors/{name} answered {(int)response.StatusCode}");
        await SiloBench.UntilAsync(async () =>
        {
            var list = JsonNode.Parse(await silo.Client.GetStringAsync(new Uri(silo.BaseAddress, "connectors"), cancellationToken))!.AsArray();
            return list.All(n => (string?)n != name);
        }, TimeSpan.FromSeconds(60), () => $"{name} to be deleted", cancellationToken);
    }

    /// <summary>The sink's table must equal COPY's row for row.</summary>
    private async Task CheckSameRowsAsync(NpgsqlConnection db, string table, CancellationToken cancellationToken)
    {
        var differ = await ScalarAsync<long>(db,
            $"SELECT (SELECT count(*) FROM (TABLE {table} EXCEPT ALL TABLE rows_copy) a) + (SELECT count(*) FROM (TABLE rows_copy EXCEPT ALL TABLE {table}) b)",
            cancellationToken);
        if (differ != 0) throw new InvalidOperationException($"{table} differs from COPY's rows_copy in {differ} rows.");
        Say($"{table} equals rows_copy row for row");
    }

    /// <summary>psql with the statement, its stdin or stdout redirected by the shell (no byte passes through this
    /// process); the median of <see cref="CopyRuns"/> runs, each on an emptied table when loading.</summary>
    private async Task<double> CopyRunsAsync(NpgsqlConnection db, string sql, string redirect, string file, string? truncate, CancellationToken cancellationToken)
    {
        var times = new List<double>();
        for (var run = 0; run < CopyRuns; run++)
        {
            if (truncate is not null)
            {
                await ExecuteAsync(db, $"TRUNCATE {truncate}", cancellationToken);
                await ExecuteAsync(db, "CHECKPOINT", cancellationToken);
            }
            var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardError = true };
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add($"exec \"$0\" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p \"$1\" -U postgres -d \"$2\" -c \"$3\" {redirect} \"$4\"");
            foreach (var a in new[] { Psql, _postgres!.Port.ToString(CultureInfo.InvariantCulture), Database, sql, file }) info.ArgumentList.Add(a);
            var clock = Stopwatch.StartNew();
            using var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start psql.");
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            var seconds = clock.Elapsed.TotalSeconds;
            if (process.ExitCode != 0) throw new InvalidOperationException($"psql -c \"{sql}\" exited with {process.ExitCode}: {await stderr}");
            times.Add(seconds);
        }
        var median = times.Order().ElementAt(times.Count / 2);
        Say($"psql {sql}: {string.Join(", ", times.Select(t => t.ToString("0.00", CultureInfo.InvariantCulture)))} s; median {options.Records / median:N0} rows/s");
        return median;
    }

    private static async Task WriteCsvAsync(string path, int records, CancellationToken cancellationToken)
    {
        await using var file = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20);
        var buffer = new StringBuilder(1 << 20);
        for (long i = 0; i < records; i++)
        {
            BenchRows.AppendCsv(buffer, i);
            if (buffer.Length < 1 << 19) continue;
            await file.WriteAsync(buffer, cancellationToken);
            buffer.Clear();
        }
        await file.WriteAsync(buffer, cancellationToken);
    }

    private static async Task ExecuteAsync(NpgsqlConnection db, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, db);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection db, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, db);
        return (T)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private string _lastCpu = "";

    /// <summary>CPU ticks so far of the silo and of PostgreSQL (the postmaster and its backends).</summary>
    private (long Silo, long Postgres) CpuBefore(SiloNode silo) => (ProcSample.CpuTicks(silo.Pid ?? 0) ?? 0, PostgresTicks());

    private string CpuSince(SiloNode silo, (long Silo, long Postgres) before)
    {
        double Seconds(long ticks) => ticks / (double)ProcSample.ClockTicksPerSecond;
        return string.Create(CultureInfo.InvariantCulture,
            $"{Seconds((ProcSample.CpuTicks(silo.Pid ?? 0) ?? 0) - before.Silo):0.0} / {Seconds(PostgresTicks() - before.Postgres):0.0}");
    }

    /// <summary>Ticks of the postmaster and its children alive now (a backend that exited meanwhile is not counted: the
    /// connectors' connections live as long as their tasks).</summary>
    private long PostgresTicks()
    {
        if (_postgres?.PostmasterPid is not { } postmaster) return 0;
        long sum = ProcSample.CpuTicks(postmaster) ?? 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[1] == postmaster.ToString(CultureInfo.InvariantCulture)) sum += ProcSample.CpuTicks(pid) ?? 0;
            }
            catch (IOException) { }
        }
        return sum;
    }

    private static string LoadAverage() => string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    private void Say(string line) => output.WriteLine($"[{_run.Elapsed.TotalSeconds,7:0.0} s] {line}");

    public string Report()
    {
        var text = new StringBuilder();
        text.AppendLine(_setup);
        text.AppendLine($"{"row",-48} {"rows",10} {"total s",8} {"rows/s",10} {"× COPY",7} {"10-90 % rows/s",15} {"× COPY",7} {"first s",8} {"CPU s silo / PostgreSQL",24}");
        foreach (var row in _rows)
        {
            var whole = row.Records / row.TotalSeconds;
            string Ratio(double? rate) => row.CopyRate is { } c && rate is { } r ? (r / c).ToString("0.00", CultureInfo.InvariantCulture) : "";
            text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"{row.Name,-48} {row.Records,10:N0} {row.TotalSeconds,8:0.00} {whole,10:N0} {Ratio(whole),7} {(row.SteadyRate is { } s ? s.ToString("N0", CultureInfo.InvariantCulture) : ""),15} {Ratio(row.SteadyRate),7} {(row.FirstSeconds is { } f ? f.ToString("0.00", CultureInfo.InvariantCulture) : ""),8} {row.Cpu,24}"));
        }
        foreach (var note in _notes) text.AppendLine(note);
        return text.ToString();
    }
}
