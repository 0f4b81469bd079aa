using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using OrleansConnect.Tests.ErrorHandling;
using OrleansConnect.Tests.Infrastructure;

namespace OrleansConnect.Tests;

/// <summary>Source tasks on one silo share one producer per producer config: two FileStreamSource connectors
/// stream at once through it, a silo stopped mid-stream commits what each task had acknowledged (neither losing
/// nor repeating a line), deleting one connector leaves the other sending, and a fatal producer error fails both
/// tasks, which come back on a new producer. Each test has its own broker: the tests slow it and inject errors.</summary>
public sealed partial class SharedProducerPipelineTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "oc-shared-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..8];
    private readonly TestBroker _broker = new();

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        _broker.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
        return Task.CompletedTask;
    }

    [GeneratedRegex(@"Task (?<task>\S+) produces through shared producer (?<client>connect-producer-\d+)")]
    private static partial Regex LeaseLine();

    /// <summary>The shared producer each task of this silo run leased, from the silo's log.</summary>
    private static Dictionary<string, string> Leases(string log) =>
        LeaseLine().Matches(log).GroupBy(m => m.Groups["task"].Value).ToDictionary(g => g.Key, g => g.Last().Groups["client"].Value);

    private async Task<SiloProcess> StartWithSourcesAsync(string[] names, Func<string, string> file, IReadOnlyDictionary<string, string>? settings = null)
    {
        var silo = new SiloProcess(_dir, _broker.BootstrapServers, settings);
        await silo.StartAsync();
        foreach (var name in names)
        {
            _broker.Broker.CreateTopic("lines-" + name, 1);
            await silo.Client.CreateConnectorAsync(name, new Dictionary<string, string>
            {
                ["connector.class"] = "FileStreamSource",
                ["file"] = file(name),
                ["topic"] = "lines-" + name,
                ["value.converter"] = "org.apache.kafka.connect.storage.StringConverter",
            });
        }
        return silo;
    }

    private Task<List<string?>> TopicLinesAsync(string topic, int atLeast) =>
        KafkaTopics.ReadUntilAsync(_broker.BootstrapServers, topic, 1, read => read.Count >= atLeast, Timeout)
            .ContinueWith(t => t.Result.Select(r => KafkaTopics.Text(r.Message.Value)).ToList(), TaskScheduler.Default);

    [Fact]
    public async Task Two_sources_share_one_producer_and_a_stop_mid_stream_neither_loses_nor_repeats_a_line()
    {
        string[] names = ["shared-a-" + _suffix, "shared-b-" + _suffix];
        var files = names.ToDictionary(n => n, n => Path.Combine(_dir, n + ".txt"));
        var topics = names.ToDictionary(n => n, n => "lines-" + n);
        var lines = names.ToDictionary(n => n, n => LineFiles.Numbered(60_000).Select(l => n + " " + l).ToArray());
        foreach (var name in names) LineFiles.Write(files[name], lines[name].Take(1_000));
        await using var silo = await StartWithSourcesAsync(names, n => files[n]);

        // Both files keep growing until after the restart, so the stop lands mid-stream: each task's stop waits for
        // its own records, not the other's.
        using var stopWriting = new CancellationTokenSource();
        var written = 1_000;
        var writer = Task.Run(async () =>
        {
            while (written < lines[names[0]].Length && !stopWriting.IsCancellationRequested)
            {
                foreach (var name in names) LineFiles.Write(files[name], lines[name].Skip(written).Take(200), append: true);
                written += 200;
                await Task.Delay(20);
            }
        });
        await TopicLinesAsync(topics[names[0]], 3_000);
        await TopicLinesAsync(topics[names[1]], 3_000);
        var leases = Leases(silo.Log);
        Assert.Equal(2, names.Count(n => leases.ContainsKey(n + "-0")));
        Assert.Equal(leases[names[0] + "-0"], leases[names[1] + "-0"]);
        Assert.False(writer.IsCompleted, "the files were complete before the stop: it would not land mid-stream");
        // Slow acknowledgements: records are in flight when the stop comes, and it must wait for them.
        _broker.Broker.SetRoundTripTime(TimeSpan.FromMilliseconds(300));
        await silo.StopAsync();
        Assert.Equal(0, silo.ExitCode);
        Assert.DoesNotContain("unacknowledged", silo.Log);
        _broker.Broker.SetRoundTripTime(TimeSpan.Zero);

        // After the restart every line is in its topic exactly once, in order.
        await silo.StartAsync();
        stopWriting.Cancel();
        await writer;
        foreach (var name in names)
        {
            var expected = lines[name].Take(written).ToArray();
            lines[name] = expected;
            Assert.Equal(expected, await TopicLinesAsync(topics[name], expected.Length));
        }
        leases = Leases(silo.Log);
        Assert.Equal(leases[names[0] + "-0"], leases[names[1] + "-0"]);

        // One connector goes; the producer stays open for the other, which keeps sending.
        var (status, _) = await silo.Client.SendAsync(HttpMethod.Delete, "connectors/" + names[0]);
        Assert.True((int)status is 202 or 204, $"DELETE answered {status}");
        await Eventually.Until(async () => (await silo.Client.SendAsync(HttpMethod.Get, "connectors/" + names[0] + "/status")).Status == System.Net.HttpStatusCode.NotFound,
            Timeout, "connector deleted\n" + silo.Log);
        LineFiles.Write(files[names[1]], ["after the delete"], append: true);
        var last = await TopicLinesAsync(topics[names[1]], lines[names[1]].Length + 1);
        Assert.Equal([.. lines[names[1]], "after the delete"], last);
        await silo.StopAsync();
        Assert.Equal(0, silo.ExitCode);
    }

    [Fact]
    public async Task A_fatal_producer_error_fails_the_tasks_sharing_it_and_they_come_back_on_a_new_producer()
    {
        string[] names = ["fatal-a-" + _suffix, "fatal-b-" + _suffix];
        var files = names.ToDictionary(n => n, n => Path.Combine(_dir, n + ".txt"));
        var lines = names.ToDictionary(n => n, n => LineFiles.Numbered(100).Select(l => n + " " + l).ToArray());
        foreach (var name in names) LineFiles.Write(files[name], lines[name]);
        // A restart backoff long enough to see FAILED.
        await using var silo = await StartWithSourcesAsync(names, n => files[n],
            new Dictionary<string, string> { ["task.restart.backoff.initial.ms"] = "3000" });
        foreach (var name in names) Assert.Equal(lines[name], await TopicLinesAsync("lines-" + name, lines[name].Length));
        Assert.Equal("connect-producer-1", Leases(silo.Log)[names[0] + "-0"]);
        Assert.Equal("connect-producer-1", Leases(silo.Log)[names[1] + "-0"]);
        // Every offset committed: the next produce request on this broker is the task's.
        var ends = names.ToDictionary(n => n, n => new FileInfo(files[n]).Length);
        await Eventually.Until(async () =>
        {
            var committed = await CommittedPositionsAsync();
            return names.All(n => committed.GetValueOrDefault(n) == ends[n]);
        }, Timeout, "offsets committed\n" + silo.Log);

        // The broker refuses a's next record with a sequence error the idempotent producer cannot recover from.
        _broker.Broker.FailNextRequests(0, Confluent.Kafka.ErrorCode.OutOfOrderSequenceNumber);
        LineFiles.Write(files[names[0]], ["after the fatal error"], append: true);

        var failed = await silo.Client.WaitForTaskStateAsync(names[0], 0, "FAILED", Timeout);
        Assert.Contains("Unrecoverable exception from producer send callback", (string?)failed!["tasks"]![0]!["trace"]);
        Assert.Contains("Shared producer connect-producer-1 hit a fatal error", silo.Log);
        // b sends nothing, yet its producer is broken: it fails too, rather than at its next record.
        await Eventually.Until(() => Task.FromResult(silo.Log.Contains($"Task {names[1]}-0 failed", StringComparison.Ordinal)),
            Timeout, "b failed\n" + silo.Log);

        // Restarted, both share a new producer; the refused line arrives once.
        foreach (var name in names) await silo.Client.WaitForTaskStateAsync(name, 0, "RUNNING", Timeout);
        var leases = Leases(silo.Log);
        Assert.Equal("connect-producer-2", leases[names[0] + "-0"]);
        Assert.Equal("connect-producer-2", leases[names[1] + "-0"]);
        Assert.Equal([.. lines[names[0]], "after the fatal error"], await TopicLinesAsync("lines-" + names[0], lines[names[0]].Length + 1));
    }

    /// <summary>The last position each connector committed for its file, read from the offsets topic.</summary>
    private async Task<Dictionary<string, long?>> CommittedPositionsAsync()
    {
        var all = await KafkaTopics.ReadToEndAsync(_broker.BootstrapServers, "connect-offsets", 25, Timeout);
        var positions = new Dictionary<string, long?>();
        foreach (var record in all)
        {
            if (JsonNode.Parse(KafkaTopics.Text(record.Message.Key)!) is not JsonArray { Count: 2 } key || (string?)key[0] is not { } connector) continue;
            positions[connector] = record.Message.Value is null ? null : (long?)JsonNode.Parse(KafkaTopics.Text(record.Message.Value)!)!["position"];
        }
        return positions;
    }
}
