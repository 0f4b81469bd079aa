using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using OrleansConnect.Grains.Kafka;
using OrleansConnect.Silo.EmbeddedBroker;
using OrleansConnect.Tests.Infrastructure;

namespace OrleansConnect.Tests;

/// <summary>Issue 12 item 6: a silo on its embedded broker stops cleanly on SIGTERM well inside Docker's 10 s grace
/// period, and its restart finds every record and every source offset (the issue's case: 18 topics, ~100 records).</summary>
public sealed class EmbeddedBrokerSnapshotSiloTests : IAsyncLifetime
{
    private const int Sources = 17; // + the offsets topic = 18 topics
    private const int Lines = 6;
    private readonly string _workDir = Path.Combine(Path.GetTempPath(), "oc-cleanstop-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly Dictionary<string, string> _settings = new() { ["group.id"] = "cleanstop-" + Guid.NewGuid().ToString("N")[..8] };
    private readonly List<SiloProcess> _silos = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var silo in _silos) await silo.DisposeAsync();
        try { Directory.Delete(_workDir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Sigterm_saves_the_embedded_broker_within_the_grace_period_and_the_restart_finds_every_record()
    {
        var inputs = Path.Combine(_workDir, "inputs");
        Directory.CreateDirectory(inputs);
        var names = Enumerable.Range(0, Sources).Select(i => $"clean-{i:00}").ToList();
        var first = await StartSiloAsync();
        foreach (var name in names)
        {
            LineFiles.Write(Path.Combine(inputs, name + ".txt"), Enumerable.Range(0, Lines).Select(l => $"{name}-{l}"));
            await first.Client.CreateConnectorAsync(name, new Dictionary<string, string>
            {
                ["connector.class"] = "FileStreamSource",
                ["file"] = Path.Combine(inputs, name + ".txt"),
                ["topic"] = name,
                ["value.converter"] = "org.apache.kafka.connect.storage.StringConverter",
                // One partition: the topic's order is the file's.
                ["topic.creation.default.partitions"] = "1",
                ["topic.creation.default.replication.factor"] = "1",
            });
        }
        var bootstrap = BootstrapOf(first);
        foreach (var name in names)
            await Eventually.Until(async () => (await ReadValuesAsync(bootstrap, name)).Count == Lines, TimeSpan.FromSeconds(60), $"{Lines} records in {name}");

        var clock = Stopwatch.StartNew();
        await first.StopAsync(TimeSpan.FromSeconds(60));
        var stopped = clock.Elapsed;
        Assert.Equal(0, first.ExitCode);
        Assert.True(stopped < TimeSpan.FromSeconds(10), $"SIGTERM took {stopped.TotalSeconds:0.0} s:\n{first.Log}");
        var saved = Regex.Match(first.Log, @"Saved the embedded Kafka broker to .*: (\d+) topics, (\d+) records");
        Assert.True(saved.Success, "no snapshot saved:\n" + first.Log);
        // The sources' topics, Connect's offsets topic and the schema registry's _schemas (on with the embedded broker).
        Assert.Equal(Sources + 2, int.Parse(saved.Groups[1].Value));

        var second = await StartSiloAsync();
        bootstrap = BootstrapOf(second);
        foreach (var name in names)
            Assert.Equal(Enumerable.Range(0, Lines).Select(l => $"{name}-{l}"), await ReadValuesAsync(bootstrap, name));

        // The sources resume after their last line (their offsets came back too): one appended line, no re-read.
        foreach (var name in names) LineFiles.Write(Path.Combine(inputs, name + ".txt"), [$"{name}-after"], append: true);
        foreach (var name in names)
        {
            var values = await Eventually.Until(() => ReadValuesAsync(bootstrap, name), v => v.Count > 0 && v[^1] == $"{name}-after",
                TimeSpan.FromSeconds(60), v => $"{name} ends with its appended line; it holds {string.Join(", ", v ?? [])}");
            Assert.Equal(Enumerable.Range(0, Lines).Select(l => $"{name}-{l}").Append($"{name}-after"), values);
        }
    }

    private async Task<SiloProcess> StartSiloAsync()
    {
        var silo = new SiloProcess(_workDir, bootstrapServers: "", _settings);
        _silos.Add(silo);
        await silo.StartAsync();
        return silo;
    }

    private static string BootstrapOf(SiloProcess silo)
    {
        var match = Regex.Match(silo.Log, @"Embedded Kafka broker listening on (\S+)");
        Assert.True(match.Success, "the silo did not log its embedded broker's address:\n" + silo.Log);
        return match.Groups[1].Value;
    }

    /// <summary>Partition 0 of a topic from its start to its end (empty when the topic does not exist yet).</summary>
    private static Task<List<string>> ReadValuesAsync(string bootstrap, string topic) => KafkaBlocking.Run(() =>
    {
        using var consumer = KafkaClients.BuildConsumer(new Dictionary<string, string>
        {
            ["bootstrap.servers"] = bootstrap,
            ["group.id"] = "test-reader-" + Guid.NewGuid().ToString("N"),
            ["enable.auto.commit"] = "false",
            ["log_level"] = "0",
        });
        var values = new List<string>();
        try
        {
            var partition = new TopicPartition(topic, 0);
            var marks = consumer.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(10));
            if (marks.High <= marks.Low) return values;
            consumer.Assign(new TopicPartitionOffset(partition, marks.Low));
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (values.Count < marks.High - marks.Low)
            {
                Assert.True(DateTime.UtcNow < deadline, $"reading {topic} timed out after {values.Count} records");
                if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { } r) values.Add(Encoding.UTF8.GetString(r.Message.Value ?? []));
            }
            return values;
        }
        catch (KafkaException)
        {
            return values; // the topic is not there yet
        }
        finally
        {
            consumer.Close();
        }
    });
}
