using System.Text;
using Confluent.Kafka;
using OrleansConnect.Tests.Infrastructure;

namespace OrleansConnect.Tests.ErrorHandling;

/// <summary>One silo with the test plugins on its plugin.path and its own broker, shared by a class's tests.</summary>
public sealed class SiloWithTestPlugins : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "oc-retriable-" + Guid.NewGuid().ToString("N")[..8]);

    public TestBroker Broker { get; } = new();
    public SiloProcess Silo { get; private set; } = null!;
    public string Dir => _dir;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        Silo = new SiloProcess(_dir, Broker.BootstrapServers, new Dictionary<string, string>
        {
            ["plugin.path"] = typeof(TestPlugins.FlakySinkConnector).Assembly.Location,
            // A failed task stays FAILED long enough to be seen.
            ["task.restart.backoff.initial.ms"] = "60000",
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

/// <summary>A sink task's RetriableException from put, as Kafka's WorkerSinkTask handles it: the same records are
/// delivered again after context.Timeout (at once without one) while nothing past them is committed, until put takes
/// them; any other exception fails the task.</summary>
public sealed class SinkRetriableTests(SiloWithTestPlugins fixture) : IClassFixture<SiloWithTestPlugins>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static Message<byte[]?, byte[]?> Text(string text) => new() { Value = Encoding.UTF8.GetBytes(text) };

    private (string Name, string Topic, string File, Dictionary<string, string> Config) Setup(string prefix)
    {
        var name = SiloWithBroker.Unique(prefix);
        var topic = name + "-in";
        var file = Path.Combine(fixture.Dir, name + ".txt");
        fixture.Broker.Broker.CreateTopic(topic, 1);
        return (name, topic, file, new Dictionary<string, string>
        {
            ["connector.class"] = typeof(TestPlugins.FlakySinkConnector).FullName!,
            ["topics"] = topic,
            ["flaky.file"] = file,
            ["key.converter"] = "org.apache.kafka.connect.storage.StringConverter",
            ["value.converter"] = "org.apache.kafka.connect.storage.StringConverter",
        });
    }

    private static List<Attempt> Attempts(string file)
    {
        var path = file + ".attempts";
        if (!File.Exists(path)) return [];
        return LineFiles.ReadCompleteLines(path).Select(line => line.Split(' ', 3))
            .Select(p => new Attempt(p[0], long.Parse(p[1]), p.Length > 2 ? p[2] : "")).ToList();
    }

    private sealed record Attempt(string Outcome, long UnixMs, string Values);

    private Task<long> Committed(string name, string topic) =>
        KafkaTopics.CommittedAsync(fixture.Broker.BootstrapServers, "connect-" + name, topic);

    [Fact]
    public async Task A_retriable_put_failure_redelivers_the_same_records_after_the_timeout_and_commits_nothing_past_them_meanwhile()
    {
        var (name, topic, file, config) = Setup("flaky-timeout");
        config["flaky.failures"] = "3";
        config["flaky.timeout.ms"] = "1500";
        await KafkaTopics.ProduceAsync(fixture.Broker.BootstrapServers, topic, [Text("a1"), Text("a2"), Text("a3")]);
        await fixture.Silo.Client.CreateConnectorAsync(name, config);
        // The first records go through and are committed (offset.flush.interval.ms is 1 s in these silos).
        await Eventually.Until(() => Committed(name, topic), offset => offset == 3, Timeout, offset => $"committed {offset}\n{fixture.Silo.Log}");

        await KafkaTopics.ProduceAsync(fixture.Broker.BootstrapServers, topic, [Text("b1"), Text("fail-b2"), Text("b3")]);
        // Two refusals seen: more than a second of commit intervals passed since the first, and nothing moved past the
        // first record of the refused batch. (The consumer may have fetched b1 alone first: then it went through, at
        // offset 3, and the refused batch starts at offset 4.)
        var seen = await Eventually.Until(() => Task.FromResult(Attempts(file)), a => a.Count(x => x.Outcome == "retriable") >= 2, Timeout,
            a => $"attempts: {string.Join(" | ", a?.Select(x => x.Outcome + " " + x.Values) ?? [])}\n{fixture.Silo.Log}");
        var refusedFirst = seen.First(a => a.Outcome == "retriable").Values.Split(',')[0];
        Assert.Equal(Array.IndexOf(["a1", "a2", "a3", "b1", "fail-b2", "b3"], refusedFirst), await Committed(name, topic));
        var status = await fixture.Silo.Client.StatusAsync(name);
        Assert.Equal("RUNNING", (string?)status!["tasks"]![0]!["state"]);

        await Eventually.Until(() => Committed(name, topic), offset => offset == 6, Timeout, offset => $"committed {offset}\n{fixture.Silo.Log}");
        // Every record exactly once, in order.
        Assert.Equal(["a1", "a2", "a3", "b1", "fail-b2", "b3"], LineFiles.ReadCompleteLines(file));
        var attempts = Attempts(file);
        var refused = attempts.Where(a => a.Outcome == "retriable").ToList();
        Assert.Equal(3, refused.Count);
        // The same batch each time, and taken the fourth time.
        var marked = attempts.SkipWhile(a => a.Outcome == "ok" && !a.Values.Contains("fail-b2")).ToList();
        Assert.Equal(["retriable", "retriable", "retriable", "ok"], marked.Take(4).Select(a => a.Outcome));
        Assert.Single(marked.Take(4).Select(a => a.Values).Distinct());
        // Each redelivery waited the task's timeout.
        for (var i = 1; i < 4; i++)
            Assert.True(marked[i].UnixMs - marked[i - 1].UnixMs >= 1500, $"attempt {i} came {marked[i].UnixMs - marked[i - 1].UnixMs} ms after the one before");
        Assert.Contains($"Task {name}-0 put threw a RetriableException", fixture.Silo.Log);
    }

    [Fact]
    public async Task Consumer_max_poll_records_bounds_every_put()
    {
        var (name, topic, file, config) = Setup("max-poll");
        config["flaky.failures"] = "0";
        config["consumer.override.max.poll.records"] = "7";
        var values = Enumerable.Range(1, 50).Select(i => $"r{i}").ToList();
        await KafkaTopics.ProduceAsync(fixture.Broker.BootstrapServers, topic, values.Select(Text).ToList());
        await fixture.Silo.Client.CreateConnectorAsync(name, config);
        await Eventually.Until(() => Task.FromResult(File.Exists(file) ? LineFiles.ReadCompleteLines(file) : []), taken => taken.Count >= 50,
            Timeout, taken => $"{taken?.Count} of 50 taken\n{fixture.Silo.Log}");
        Assert.Equal(values, LineFiles.ReadCompleteLines(file));
        var sizes = Attempts(file).Where(a => a.Values.Length > 0).Select(a => a.Values.Split(',').Length).ToList();
        // With Kafka's 500 the 50 records, all in the topic before the start, would come in one or two puts.
        Assert.All(sizes, size => Assert.InRange(size, 1, 7));
        Assert.True(sizes.Count >= 8, $"{sizes.Count} puts for 50 records");
    }

    [Fact]
    public async Task Without_a_timeout_the_batch_is_delivered_again_at_once()
    {
        var (name, topic, file, config) = Setup("flaky-now");
        config["flaky.failures"] = "5";
        await KafkaTopics.ProduceAsync(fixture.Broker.BootstrapServers, topic, [Text("x1"), Text("fail-x2"), Text("x3")]);
        await fixture.Silo.Client.CreateConnectorAsync(name, config);

        await Eventually.Until(() => Committed(name, topic), offset => offset == 3, Timeout, offset => $"committed {offset}\n{fixture.Silo.Log}");
        Assert.Equal(["x1", "fail-x2", "x3"], LineFiles.ReadCompleteLines(file));
        var marked = Attempts(file).SkipWhile(a => !a.Values.Contains("fail-x2")).ToList();
        Assert.Equal(["retriable", "retriable", "retriable", "retriable", "retriable", "ok"], marked.Select(a => a.Outcome));
        // No backoff of the runtime's own: six puts within well under a commit interval of a default worker (60 s).
        Assert.True(marked[^1].UnixMs - marked[0].UnixMs < 2000, $"six puts took {marked[^1].UnixMs - marked[0].UnixMs} ms");
    }

    [Fact]
    public async Task Any_other_put_failure_fails_the_task_and_commits_nothing_past_the_batch()
    {
        var (name, topic, file, config) = Setup("flaky-fatal");
        config["flaky.fatal"] = "true";
        await KafkaTopics.ProduceAsync(fixture.Broker.BootstrapServers, topic, [Text("fail-y1"), Text("y2")]);
        await fixture.Silo.Client.CreateConnectorAsync(name, config);

        var failed = await fixture.Silo.Client.WaitForTaskStateAsync(name, 0, "FAILED", Timeout);
        Assert.Contains("The flaky sink refuses this batch for good", (string?)failed!["tasks"]![0]!["trace"]);
        Assert.Single(Attempts(file));
        Assert.False(File.Exists(file));
        Assert.True(await Committed(name, topic) < 0);
    }
}
