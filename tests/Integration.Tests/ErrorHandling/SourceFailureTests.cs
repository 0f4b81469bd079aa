using System.Globalization;
using System.Text.RegularExpressions;
using OrleansConnect.Grains.Kafka;
using OrleansConnect.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansConnect.Tests.ErrorHandling;

/// <summary>A silo process and a broker of its own that the tests can freeze, with fast automatic restarts
/// (100 ms doubling to 800 ms) and periodic offset commits far apart, so what a failed task keeps is what it committed
/// when it failed.</summary>
public sealed class FreezableBrokerSilo : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "oc-srcfail-" + Guid.NewGuid().ToString("N")[..8]);

    public EmbeddedKafkaBroker Broker { get; } = StartBroker();

    public SiloProcess Silo { get; private set; } = null!;

    public string Dir => _dir;

    private static EmbeddedKafkaBroker StartBroker()
    {
        var broker = EmbeddedKafkaBroker.Start(1);
        broker.CreateTopic("connect-offsets", 5);
        return broker;
    }

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        Silo = new SiloProcess(_dir, Broker.BootstrapServers, new Dictionary<string, string>
        {
            ["offset.flush.interval.ms"] = "60000",
            ["offset.flush.timeout.ms"] = "2000",
            ["task.restart.backoff.initial.ms"] = "100",
            ["task.restart.backoff.max.ms"] = "800",
        });
        await Silo.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await Silo.DisposeAsync();
        Broker.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

/// <summary>What a failed source task keeps: records Kafka acknowledged before the failure have their offsets
/// committed, as Kafka's WorkerSourceTask commits them, so the automatic restart resumes after them; and a broker that
/// stops answering fails the task once delivery.timeout.ms passes, counted in the error metrics.</summary>
public sealed partial class SourceFailureTests(FreezableBrokerSilo fixture, ITestOutputHelper output) : IClassFixture<FreezableBrokerSilo>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_record_too_large_for_the_broker_fails_every_restart_without_sending_the_records_before_it_again()
    {
        var topic = SiloWithBroker.Unique("poison");
        var name = SiloWithBroker.Unique("poison-src");
        var input = Path.Combine(fixture.Dir, name + ".txt");
        fixture.Broker.CreateTopic(topic, 1);
        var before = LineFiles.Numbered(300);
        // 2 MB: over the producer's message.max.bytes (1,000,000), refused as Kafka's producer refuses it.
        LineFiles.Write(input, [.. before, new string('x', 2_000_000), .. LineFiles.Numbered(100, start: 301)]);

        await fixture.Silo.Client.CreateConnectorAsync(name, new Dictionary<string, string>
        {
            ["connector.class"] = "FileStreamSource",
            ["file"] = input,
            ["topic"] = topic,
            ["value.converter"] = "org.apache.kafka.connect.storage.StringConverter",
        });

        // Restarted again and again on the same record: the backoff grows (100, 200, 400, 800, 800 ms) and never starts
        // over, since each run fails at once.
        var failing = await Eventually.Until(() => fixture.Silo.Client.StatusAsync(name),
            s => Attempt(Trace(s)) >= 6, Deadline, s => $"the sixth automatic restart scheduled; last: {s?.ToJsonString()}\n{fixture.Silo.Log}");
        var trace = Trace(failing)!;
        output.WriteLine(trace[..trace.IndexOf("   at ", StringComparison.Ordinal)]);
        Assert.Contains("Message size too large", trace);
        Assert.Contains("the record that failed is the first one sent again", trace);

        // Each restart sent the poison record and nothing before it: the topic holds the 300 records once.
        var written = await KafkaTopics.ReadToEndAsync(fixture.Broker.BootstrapServers, topic, 1, Deadline);
        var lines = written.Select(r => KafkaTopics.Text(r.Message.Value)).ToList();
        Assert.Equal(before, lines);
    }

    [Fact]
    public async Task A_broker_that_stops_answering_fails_the_task_after_delivery_timeout_and_it_recovers_once_the_broker_is_back()
    {
        var topic = SiloWithBroker.Unique("stuck");
        var name = SiloWithBroker.Unique("stuck-src");
        var input = Path.Combine(fixture.Dir, name + ".txt");
        fixture.Broker.CreateTopic(topic, 1);
        var lines = LineFiles.Numbered(100);
        LineFiles.Write(input, lines.Take(50));
        await fixture.Silo.Client.CreateConnectorAsync(name, new Dictionary<string, string>
        {
            ["connector.class"] = "FileStreamSource",
            ["file"] = input,
            ["topic"] = topic,
            ["value.converter"] = "org.apache.kafka.connect.storage.StringConverter",
            ["producer.override.delivery.timeout.ms"] = "3000",
        });
        await KafkaTopics.ReadUntilAsync(fixture.Broker.BootstrapServers, topic, 1, r => r.Count >= 50, Deadline);

        // Frozen: connections stay open and nothing is answered (as a broker under SIGSTOP).
        fixture.Broker.SetRoundTripTime(TimeSpan.FromMinutes(5));
        try
        {
            var frozen = System.Diagnostics.Stopwatch.StartNew();
            LineFiles.Write(input, lines.Skip(50), append: true);
            await fixture.Silo.Client.WaitForTaskStateAsync(name, 0, "FAILED", Deadline);
            output.WriteLine($"FAILED {frozen.Elapsed.TotalSeconds:F1} s after the broker froze");
            // The failure counted where Connect's producer counts it (record-error-total), and it outlives the restarts.
            var metrics = await Eventually.Until(() => ScrapeAsync(), m =>
                    Value(m, "kafka_producer_producer_metrics_record_error_total", ("connector", name)) >= 1
                    && Value(m, "orleansconnect_task_automatic_restarts_total", ("connector", name)) >= 1,
                TimeSpan.FromSeconds(20), m => "the producer's record errors and the restart counted: " + Lines(m, name));
            output.WriteLine(Lines(metrics, name));
            // The first failure is the producer's own error; a restart while the broker stays frozen may then fail
            // earlier (reading the offsets topic), so its FAILED status comes and goes: the log keeps the first one.
            var failure = fixture.Silo.Log.Split('\n').FirstOrDefault(l => l.Contains("Local: Message timed out", StringComparison.Ordinal));
            Assert.True(failure is not null, $"the task failed with the producer's delivery timeout\n{fixture.Silo.Log}");
            output.WriteLine(failure);
        }
        finally
        {
            fixture.Broker.SetRoundTripTime(TimeSpan.Zero);
        }

        // The automatic restart sends again what was not acknowledged: every line arrives.
        await fixture.Silo.Client.WaitForTaskStateAsync(name, 0, "RUNNING", Deadline);
        var written = await KafkaTopics.ReadUntilAsync(fixture.Broker.BootstrapServers, topic, 1,
            r => r.Select(x => KafkaTopics.Text(x.Message.Value)).ToHashSet().Count >= lines.Length, Deadline);
        Assert.Empty(lines.Except(written.Select(r => KafkaTopics.Text(r.Message.Value))));
    }

    private static string? Trace(System.Text.Json.Nodes.JsonNode? status) => (string?)status?["tasks"]?[0]?["trace"];

    /// <summary>The attempt number the restart line of a trace names (0 when none).</summary>
    private static int Attempt(string? trace) =>
        trace is not null && AttemptLine().Match(trace) is { Success: true } m ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;

    [GeneratedRegex(@"attempt (\d+) scheduled")]
    private static partial Regex AttemptLine();

    private async Task<string> ScrapeAsync()
    {
        using var response = await fixture.Silo.Client.GetAsync("/metrics");
        response.EnsureSuccessStatusCode();
        return "\n" + await response.Content.ReadAsStringAsync();
    }

    private static string Lines(string? metrics, string containing) =>
        string.Join('\n', (metrics ?? "").Split('\n').Where(l => l.Contains(containing, StringComparison.Ordinal)));

    private static double? Value(string? metrics, string name, params (string Key, string Value)[] labels)
    {
        foreach (var line in (metrics ?? "").Split('\n'))
        {
            if (!line.StartsWith(name + "{", StringComparison.Ordinal) && !line.StartsWith(name + " ", StringComparison.Ordinal)) continue;
            if (!labels.All(l => line.Contains($"{l.Key}=\"{l.Value}\"", StringComparison.Ordinal))) continue;
            return double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
        }
        return null;
    }
}
