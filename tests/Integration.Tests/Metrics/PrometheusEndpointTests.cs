using System.Globalization;
using System.Text.RegularExpressions;
using OrleansConnect.Tests.Infrastructure;

namespace OrleansConnect.Tests.Metrics;

/// <summary>GET /metrics on a silo process: Connect's worker, connector and task status metrics under the names
/// Strimzi's JMX exporter rules give them, moving with what the silo runs, beside .NET runtime, ASP.NET Core and
/// Orleans metrics.</summary>
[Collection(BrokerCollection.Name)]
public sealed partial class PrometheusEndpointTests(TestBroker broker) : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "oc-metrics-" + Guid.NewGuid().ToString("N")[..8]);
    private SiloProcess? _silo;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        // A failed task is restarted after 1 s, again and again while its cause stays.
        _silo = new SiloProcess(_dir, broker.BootstrapServers, new Dictionary<string, string>
        {
            ["task.restart.backoff.initial.ms"] = "1000", ["task.restart.backoff.max.ms"] = "1000",
        });
        await _silo.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_silo is not null) await _silo.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Metrics_follow_the_connectors_and_tasks_of_the_silo()
    {
        var silo = _silo!;
        var topic = "metrics-" + Guid.NewGuid().ToString("N")[..6];
        broker.Broker.CreateTopic(topic, 1);
        var input = Path.Combine(_dir, "input.txt");
        LineFiles.Write(input, ["a", "b"]);
        await silo.Client.CreateConnectorAsync("m-source", new Dictionary<string, string>
        {
            ["connector.class"] = "FileStreamSource", ["file"] = input, ["topic"] = topic,
        });
        await silo.Client.CreateConnectorAsync("m-failing", new Dictionary<string, string>
        {
            ["connector.class"] = "FileStreamSink", ["topics"] = topic, ["file"] = Path.Combine(_dir, "missing", "out.txt"),
        });
        await silo.Client.WaitForStateAsync("m-source", "RUNNING", 1, Deadline);

        var metrics = await Eventually.Until(() => ScrapeAsync(silo), m =>
                Value(m, "kafka_connect_worker_connector_count") == 2
                && Value(m, "kafka_connect_connector_task_status", ("connector", "m-failing"), ("task", "0"), ("status", "failed")) == 1
                && Value(m, "orleansconnect_task_automatic_restarts_total", ("connector", "m-failing"), ("task", "0")) >= 2,
            Deadline, m => "metrics so far:\n" + string.Join('\n', (m ?? "").Split('\n').Where(l => l.Contains("connect", StringComparison.Ordinal))));

        Assert.Equal(2, Value(metrics, "kafka_connect_worker_task_count"));
        Assert.Equal(2, Value(metrics, "kafka_connect_worker_connector_startup_success_total"));
        Assert.True(Value(metrics, "kafka_connect_worker_task_startup_attempts_total") >= 3, "a restarted task starts again");
        Assert.Equal(1, Value(metrics, "kafka_connect_connector_status", ("connector", "m-source"), ("status", "running")));
        Assert.Equal(1, Value(metrics, "kafka_connect_connector_connector_class", ("connector", "m-source"),
            ("connector_class", "org.apache.kafka.connect.file.FileStreamSourceConnector")));
        Assert.Equal(1, Value(metrics, "kafka_connect_connector_connector_type", ("connector", "m-failing"), ("connector_type", "sink")));
        Assert.Equal(1, Value(metrics, "kafka_connect_connector_task_status", ("connector", "m-source"), ("task", "0"), ("status", "running")));
        Assert.Equal(1, Value(metrics, "kafka_connect_worker_connector_running_task_count", ("connector", "m-source")));
        Assert.Equal(1, Value(metrics, "kafka_connect_worker_connector_failed_task_count", ("connector", "m-failing")));
        Assert.Equal(1, Value(metrics, "kafka_connect_worker_connector_total_task_count", ("connector", "m-failing")));
        Assert.True(Value(metrics, "orleansconnect_task_restart_attempt", ("connector", "m-failing"), ("task", "0")) >= 1);

        // The platform's metrics sit beside Connect's.
        Assert.Contains("\ndotnet_gc_collections_total", metrics);
        Assert.Contains("\nhttp_server_request_duration_seconds_count", metrics);
        await Eventually.Until(() => ScrapeAsync(silo), m => m.Contains("\norleans_", StringComparison.Ordinal), Deadline, _ => "no Orleans metrics");

        // Deleted: its status gauges go (the restart counter keeps its total, as Prometheus counters do).
        var (deleted, _) = await silo.Client.SendAsync(HttpMethod.Delete, "connectors/m-failing");
        Assert.Equal(System.Net.HttpStatusCode.NoContent, deleted);
        await Eventually.Until(() => ScrapeAsync(silo), m =>
                Value(m, "kafka_connect_worker_connector_count") == 1
                && Value(m, "kafka_connect_connector_status", ("connector", "m-failing")) is null
                && Value(m, "kafka_connect_connector_task_status", ("connector", "m-failing")) is null
                && Value(m, "kafka_connect_worker_connector_total_task_count", ("connector", "m-failing")) is null
                && Value(m, "orleansconnect_task_restart_attempt", ("connector", "m-failing")) is null,
            Deadline, m => "m-failing still reported:\n" + m);
    }

    [Fact]
    public async Task A_pipeline_of_N_records_shows_N_polled_written_read_and_sent()
    {
        var silo = _silo!;
        const int lines = 500;
        var topic = "metrics-pipe-" + Guid.NewGuid().ToString("N")[..6];
        broker.Broker.CreateTopic(topic, 2);
        var input = Path.Combine(_dir, "pipe-input.txt");
        var output = Path.Combine(_dir, "pipe-output.txt");
        LineFiles.Write(input, Enumerable.Range(0, lines).Select(i => $"line-{i}"));
        await silo.Client.CreateConnectorAsync("p-source", new Dictionary<string, string>
        {
            ["connector.class"] = "FileStreamSource", ["file"] = input, ["topic"] = topic,
        });
        await silo.Client.CreateConnectorAsync("p-sink", new Dictionary<string, string>
        {
            ["connector.class"] = "FileStreamSink", ["file"] = output, ["topics"] = topic,
        });

        var source = new[] { ("connector", "p-source"), ("task", "0") };
        var sink = new[] { ("connector", "p-sink"), ("task", "0") };
        var metrics = await Eventually.Until(() => ScrapeAsync(silo), m =>
                Value(m, "kafka_connect_source_task_source_record_write_total", source) == lines
                && Value(m, "kafka_connect_sink_task_sink_record_send_total", sink) == lines
                && Value(m, "kafka_connect_sink_task_offset_commit_completion_total", sink) >= 1,
            Deadline, m => "task metrics so far:\n" + string.Join('\n', (m ?? "").Split('\n').Where(l => l.Contains("p-s", StringComparison.Ordinal))));

        Assert.Equal(lines, Value(metrics, "kafka_connect_source_task_source_record_poll_total", source));
        Assert.Equal(lines, Value(metrics, "kafka_connect_sink_task_sink_record_read_total", sink));
        Assert.Equal(2, Value(metrics, "kafka_connect_sink_task_partition_count", sink));
        Assert.Equal(0, Value(metrics, "kafka_connect_source_task_source_record_active_count", source));
        Assert.Equal(0, Value(metrics, "kafka_connect_sink_task_offset_commit_skip_total", sink));
        Assert.Equal(lines, LineFiles.CountLines(output));
        // Only sources have source metrics, only sinks sink metrics.
        Assert.Null(Value(metrics, "kafka_connect_sink_task_sink_record_read_total", source));
        Assert.Null(Value(metrics, "kafka_connect_source_task_source_record_poll_total", sink));

        // Connect's windowed rates, averages, maxima and ratios over the last minute.
        foreach (var rate in new[] { "source_task_source_record_poll_rate", "source_task_source_record_write_rate" })
            Assert.InRange(Value(metrics, "kafka_connect_" + rate, source)!.Value, 0.001, lines);
        foreach (var rate in new[] { "sink_task_sink_record_read_rate", "sink_task_sink_record_send_rate", "sink_task_offset_commit_completion_rate" })
            Assert.InRange(Value(metrics, "kafka_connect_" + rate, sink)!.Value, 0.001, lines);
        Assert.Equal(0, Value(metrics, "kafka_connect_sink_task_offset_commit_skip_rate", sink));
        foreach (var (task, batch) in new[] { (source, "source_task_poll_batch"), (sink, "sink_task_put_batch") })
        {
            var (avgTime, maxTime) = (Value(metrics, $"kafka_connect_{batch}_avg_time_ms", task)!.Value, Value(metrics, $"kafka_connect_{batch}_max_time_ms", task)!.Value);
            Assert.InRange(avgTime, 0, maxTime);
            var (avgSize, maxSize) = (Value(metrics, "kafka_connect_connector_task_batch_size_avg", task)!.Value, Value(metrics, "kafka_connect_connector_task_batch_size_max", task)!.Value);
            // Every record went through in batches of at least one: the average batch is at most the largest, which is at most all.
            Assert.InRange(avgSize, 1, maxSize);
            Assert.InRange(maxSize, avgSize, lines);
            Assert.InRange(Value(metrics, "kafka_connect_connector_task_running_ratio", task)!.Value, 0.01, 1);
            Assert.Equal(0, Value(metrics, "kafka_connect_connector_task_pause_ratio", task));
        }
        // Once a commit covered every record read (commits every second here), nothing is active.
        await Eventually.Until(() => ScrapeAsync(silo), m => Value(m, "kafka_connect_sink_task_sink_record_active_count", sink) == 0,
            Deadline, m => "p-sink active: " + Lines(m, "sink_record_active_count"));
        var commitAvg = Value(metrics, "kafka_connect_connector_task_offset_commit_avg_time_ms", sink)!.Value;
        Assert.InRange(commitAvg, 0, Value(metrics, "kafka_connect_connector_task_offset_commit_max_time_ms", sink)!.Value);
        Assert.Equal(2, Value(metrics, "kafka_connect_worker_task_startup_success_total"));

        // The same counts over REST, gathered from the silos the tasks run on (the console shows these).
        var (status, sourceMetrics) = await silo.Client.SendAsync(HttpMethod.Get, "connectors/p-source/metrics");
        Assert.Equal(System.Net.HttpStatusCode.OK, status);
        Assert.Equal("source", (string?)sourceMetrics!["type"]);
        var sourceTask = sourceMetrics["tasks"]![0]!;
        Assert.Equal(lines, (long)sourceTask["records_in_total"]!);
        Assert.Equal(lines, (long)sourceTask["records_out_total"]!);
        Assert.Null(sourceTask["consumer_lag"]);
        Assert.Equal(silo.WorkerId, (string?)sourceTask["worker_id"]);
        var sinkTask = await Eventually.Until(async () => (await silo.Client.SendAsync(HttpMethod.Get, "connectors/p-sink/metrics")).Body!["tasks"]![0]!,
            t => (long?)t["consumer_lag"] == 0, Deadline, t => "p-sink metrics: " + t?.ToJsonString());
        Assert.Equal(lines, (long)sinkTask["records_in_total"]!);
        Assert.Equal(lines, (long)sinkTask["records_out_total"]!);
        Assert.Equal(0, (long)sinkTask["total_record_errors"]!);
        Assert.InRange((double)sinkTask["records_in_rate"]!, 0.001, lines);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await silo.Client.SendAsync(HttpMethod.Get, "connectors/no-such/metrics")).Status);
    }

    [Fact]
    public async Task Poison_records_show_as_errors_skipped_logged_and_dead_letter_queue_writes()
    {
        var silo = _silo!;
        var topic = "metrics-poison-" + Guid.NewGuid().ToString("N")[..6];
        broker.Broker.CreateTopic(topic, 1);
        // The collection's broker (librdkafka's mock) cannot create topics through the admin API: the test does.
        broker.Broker.CreateTopic(topic + "-dlq", 1);
        var values = new[] { "{\"n\":1}", "not json", "{\"n\":2}", "{broken", "{\"n\":3}" };
        await ErrorHandling.KafkaTopics.ProduceAsync(broker.BootstrapServers, topic,
            values.Select(v => new Confluent.Kafka.Message<byte[]?, byte[]?> { Value = System.Text.Encoding.UTF8.GetBytes(v) }));
        await silo.Client.CreateConnectorAsync("poison-sink", new Dictionary<string, string>
        {
            ["connector.class"] = "FileStreamSink", ["topics"] = topic, ["file"] = Path.Combine(_dir, "poison-out.txt"),
            ["value.converter"] = "org.apache.kafka.connect.json.JsonConverter", ["value.converter.schemas.enable"] = "false",
            ["errors.tolerance"] = "all", ["errors.log.enable"] = "true",
            ["errors.deadletterqueue.topic.name"] = topic + "-dlq", ["errors.deadletterqueue.topic.replication.factor"] = "1",
        });

        var task = new[] { ("connector", "poison-sink"), ("task", "0") };
        // Read is counted when the consumer returns the batch and send only once put returned (as Kafka's
        // WorkerSinkTask does), so a scrape between the two sees read 5 and send 0: wait for the put too.
        var metrics = await Eventually.Until(() => ScrapeAsync(silo), m =>
                Value(m, "kafka_connect_sink_task_sink_record_read_total", task) == 5
                && Value(m, "kafka_connect_task_error_deadletterqueue_produce_requests", task) == 2
                && Value(m, "kafka_connect_sink_task_sink_record_send_total", task) >= 3,
            Deadline, m => "error metrics so far:\n" + string.Join('\n', (m ?? "").Split('\n').Where(l => l.Contains("poison", StringComparison.Ordinal))));

        Assert.Equal(3, Value(metrics, "kafka_connect_sink_task_sink_record_send_total", task));
        Assert.Equal(2, Value(metrics, "kafka_connect_task_error_total_record_errors", task));
        Assert.Equal(2, Value(metrics, "kafka_connect_task_error_total_record_failures", task));
        Assert.Equal(2, Value(metrics, "kafka_connect_task_error_total_records_skipped", task));
        Assert.Equal(2, Value(metrics, "kafka_connect_task_error_total_errors_logged", task));
        Assert.Equal(0, Value(metrics, "kafka_connect_task_error_total_retries", task));
        Assert.Equal(0, Value(metrics, "kafka_connect_task_error_deadletterqueue_produce_failures", task));
        var lastError = DateTimeOffset.FromUnixTimeMilliseconds((long)Value(metrics, "kafka_connect_task_error_last_error_timestamp", task)!.Value);
        Assert.InRange(lastError, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
    }

    [Fact]
    public async Task A_paused_sink_shows_its_consumer_lag_growing_and_then_draining()
    {
        var silo = _silo!;
        var topic = "metrics-lag-" + Guid.NewGuid().ToString("N")[..6];
        broker.Broker.CreateTopic(topic, 1);
        var output = Path.Combine(_dir, "lag-out.txt");
        await Produce(topic, 0, 10);
        await silo.Client.CreateConnectorAsync("lag-sink", new Dictionary<string, string>
        {
            ["connector.class"] = "FileStreamSink", ["topics"] = topic, ["file"] = output,
            ["value.converter"] = "org.apache.kafka.connect.storage.StringConverter",
            ["consumer.override.statistics.interval.ms"] = "500",
        });
        var partition = new[] { ("connector", "lag-sink"), ("topic", topic), ("partition", "0"), ("clientid", "connector-consumer-lag-sink-0") };
        await Eventually.Until(() => ScrapeAsync(silo), m => Value(m, "kafka_consumer_fetch_manager_records_lag", partition) == 0,
            Deadline, m => "no lag of 0 for the partition yet:\n" + Lines(m, "lag-sink") + "\nsilo log:\n" + string.Join('\n', silo.Log.Split('\n').Where(l => l.Contains("lag-sink", StringComparison.Ordinal)).TakeLast(20)));

        var (paused, _) = await silo.Client.SendAsync(HttpMethod.Put, "connectors/lag-sink/pause");
        Assert.Equal(System.Net.HttpStatusCode.Accepted, paused);
        await silo.Client.WaitForStateAsync("lag-sink", "PAUSED", 1, Deadline);
        await Produce(topic, 10, 200);
        await Eventually.Until(() => ScrapeAsync(silo), m => Value(m, "kafka_consumer_fetch_manager_records_lag", partition) == 200,
            Deadline, m => "the paused sink's lag did not reach 200:\n" + Lines(m, "records_lag"));

        var (resumed, _) = await silo.Client.SendAsync(HttpMethod.Put, "connectors/lag-sink/resume");
        Assert.Equal(System.Net.HttpStatusCode.Accepted, resumed);
        await Eventually.Until(() => ScrapeAsync(silo), m => Value(m, "kafka_consumer_fetch_manager_records_lag", partition) == 0,
            Deadline, m => "the resumed sink's lag did not drain:\n" + Lines(m, "records_lag"));
        await Eventually.Until(() => Task.FromResult(LineFiles.CountLines(output)), n => n == 210, Deadline, n => $"{n} of 210 lines");
    }

    private Task Produce(string topic, int from, int count) =>
        ErrorHandling.KafkaTopics.ProduceAsync(broker.BootstrapServers, topic, Enumerable.Range(from, count)
            .Select(i => new Confluent.Kafka.Message<byte[]?, byte[]?> { Value = System.Text.Encoding.UTF8.GetBytes($"r-{i}") }));

    [Fact]
    public async Task A_sink_counts_the_records_it_read_as_active_until_a_commit_covers_them()
    {
        // Commits only every ten minutes: what the sink read stays uncommitted for the whole test.
        var dir = Path.Combine(_dir, "active");
        await using var silo = new SiloProcess(dir, broker.BootstrapServers, new Dictionary<string, string> { ["offset.flush.interval.ms"] = "600000" });
        await silo.StartAsync();
        var topic = "metrics-active-" + Guid.NewGuid().ToString("N")[..6];
        broker.Broker.CreateTopic(topic, 1);
        await Produce(topic, 0, 7);
        await silo.Client.CreateConnectorAsync("active-sink", new Dictionary<string, string>
        {
            ["connector.class"] = "FileStreamSink", ["topics"] = topic, ["file"] = Path.Combine(dir, "out.txt"),
            ["value.converter"] = "org.apache.kafka.connect.storage.StringConverter",
        });

        var task = new[] { ("connector", "active-sink"), ("task", "0") };
        var metrics = await Eventually.Until(() => ScrapeAsync(silo), m => Value(m, "kafka_connect_sink_task_sink_record_send_total", task) == 7,
            Deadline, m => "active-sink so far:\n" + Lines(m, "active-sink"));
        Assert.Equal(7, Value(metrics, "kafka_connect_sink_task_sink_record_active_count", task));
        Assert.Equal(0, Value(metrics, "kafka_connect_sink_task_offset_commit_completion_total", task) ?? 0);
    }

    [Fact]
    public async Task With_metrics_enable_off_there_is_no_metrics_endpoint_but_the_connector_metrics_stay()
    {
        var dir = Path.Combine(_dir, "off");
        await using var silo = new SiloProcess(dir, broker.BootstrapServers, new Dictionary<string, string> { ["metrics.enable"] = "false" });
        await silo.StartAsync();
        var topic = "metrics-off-" + Guid.NewGuid().ToString("N")[..6];
        broker.Broker.CreateTopic(topic, 1);
        var input = Path.Combine(dir, "input.txt");
        LineFiles.Write(input, Enumerable.Range(0, 20).Select(i => $"line-{i}"));
        await silo.Client.CreateConnectorAsync("off-source", new Dictionary<string, string>
        {
            ["connector.class"] = "FileStreamSource", ["file"] = input, ["topic"] = topic,
        });

        using (var response = await silo.Client.GetAsync("/metrics"))
            Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
        await Eventually.Until(async () => (await silo.Client.SendAsync(HttpMethod.Get, "connectors/off-source/metrics")).Body,
            m => m?["tasks"]?.AsArray().Count == 1 && (long?)m["tasks"]![0]!["records_out_total"] == 20, Deadline, m => "off-source metrics: " + m?.ToJsonString());
    }

    private static string Lines(string? metrics, string containing) =>
        string.Join('\n', (metrics ?? "").Split('\n').Where(l => l.Contains(containing, StringComparison.Ordinal)));

    private static async Task<string> ScrapeAsync(SiloProcess silo)
    {
        using var response = await silo.Client.GetAsync("/metrics");
        response.EnsureSuccessStatusCode();
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType ?? "");
        return "\n" + await response.Content.ReadAsStringAsync();
    }

    /// <summary>The value of the one sample of <paramref name="name"/> whose labels include <paramref name="labels"/>
    /// (null when there is none).</summary>
    private static double? Value(string? metrics, string name, params (string Key, string Value)[] labels)
    {
        if (metrics is null) return null;
        foreach (Match sample in Sample().Matches(metrics))
        {
            if (sample.Groups["name"].Value != name) continue;
            var sampleLabels = sample.Groups["labels"].Value;
            if (labels.All(l => sampleLabels.Contains($"{l.Key}=\"{l.Value}\"", StringComparison.Ordinal)))
                return double.Parse(sample.Groups["value"].Value, CultureInfo.InvariantCulture);
        }
        return null;
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?<labels>[^}]*)\})? (?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex Sample();
}
