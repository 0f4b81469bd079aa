using System.Text;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using OrleansConnect.Grains.Kafka;
using OrleansConnect.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansConnect.Tests;

/// <summary>Issue 24 item 4: kill -9 of a silo on its embedded broker, mid-stream, then a start on the same data dir.
/// The broker's periodic log brings back its topics and offsets: the source resumes near where it was instead of
/// re-reading its file, the sink loses no line, and a record another client produced is still there.</summary>
public sealed class EmbeddedBrokerCrashTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int InitialLines = 20_000;
    private const int LinesPerTick = 50; // every 50 ms: 1,000 lines a second while the silo is killed
    private const int SaveIntervalMs = 1_000;
    private readonly string _workDir = Path.Combine(Path.GetTempPath(), "oc-crash-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly Dictionary<string, string> _settings = new()
    {
        ["group.id"] = "crash-" + Guid.NewGuid().ToString("N")[..8],
        ["embedded.broker.snapshot.interval.ms"] = SaveIntervalMs.ToString(),
    };
    private readonly List<SiloProcess> _silos = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var silo in _silos) await silo.DisposeAsync();
        try { Directory.Delete(_workDir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Kill_9_mid_stream_then_a_start_on_the_same_data_dir_resumes_without_loss_or_a_reread()
    {
        var input = Path.Combine(_workDir, "input.txt");
        var outputFile = Path.Combine(_workDir, "output.txt");
        Directory.CreateDirectory(_workDir);
        var written = InitialLines;
        LineFiles.Write(input, LineFiles.Numbered(InitialLines));

        var first = await StartSiloAsync();
        await first.Client.CreateConnectorAsync("source", new Dictionary<string, string>
        {
            ["connector.class"] = "FileStreamSource",
            ["file"] = input,
            ["topic"] = "lines",
            ["value.converter"] = "org.apache.kafka.connect.storage.StringConverter",
        });
        await first.Client.CreateConnectorAsync("sink", new Dictionary<string, string>
        {
            ["connector.class"] = "org.apache.kafka.connect.file.FileStreamSinkConnector",
            ["file"] = outputFile,
            ["topics"] = "lines",
            ["value.converter"] = "org.apache.kafka.connect.storage.StringConverter",
        });
        // Another client's record in a topic of its own: nothing but the broker's log keeps it.
        await ProduceAsync(BootstrapOf(first), "other-client", "produced by another client");

        // The file keeps growing while the silo is killed and started again: the kill lands mid-stream.
        using var stopWriting = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
            while (await timer.WaitForNextTickAsync(stopWriting.Token))
            {
                LineFiles.Write(input, LineFiles.Numbered(LinesPerTick, Volatile.Read(ref written) + 1), append: true);
                Interlocked.Add(ref written, LinesPerTick);
            }
        });
        try
        {
            // Past the initial file and a few seconds into the stream, so several saves ran.
            await Eventually.Until(() => Task.FromResult(LineFiles.CountLines(outputFile)), n => n >= InitialLines + 3 * 1_000 / 50 * LinesPerTick,
                TimeSpan.FromSeconds(120), n => $"{n} lines in the sink file\n{first.Log}");
            await first.KillAsync();
            var atKill = LineFiles.CountLines(outputFile);

            var second = await StartSiloAsync();
            Assert.Contains("Restored the embedded Kafka broker", second.Log);
            Assert.Equal(["produced by another client"], await ReadValuesAsync(BootstrapOf(second), "other-client"));
            // A few more seconds of stream after the restart, then the file stops growing.
            await Eventually.Until(() => Task.FromResult(LineFiles.CountLines(outputFile)), n => n >= atKill + 3 * 1_000 / 50 * LinesPerTick,
                TimeSpan.FromSeconds(120), n => $"{n} lines in the sink file after the restart\n{second.Log}");
        }
        finally
        {
            await stopWriting.CancelAsync();
            try { await writer; } catch (OperationCanceledException) { }
        }

        var total = Volatile.Read(ref written);
        var expected = LineFiles.Numbered(total);
        var lines = await Eventually.Until(() => Task.FromResult(LineFiles.ReadCompleteLines(outputFile)),
            l => expected.All(new HashSet<string>(l).Contains), TimeSpan.FromSeconds(120),
            l => $"{expected.Except(l ?? []).Count()} of {total} lines missing from the sink file");
        var wellFormed = new HashSet<string>(expected);
        // A line the sink was writing when it was killed can be left torn (issue 24 item 7); its record is written again whole.
        var torn = lines.Count(l => !wellFormed.Contains(l));
        var duplicates = lines.Count(wellFormed.Contains) - total;
        output.WriteLine($"{total} lines, {duplicates} duplicates, {torn} torn; the whole file at the kill was over {InitialLines + 3_000} lines");
        Assert.True(torn <= 1, $"{torn} torn lines");
        // What the last interval (the broker's save and the offset flush, a second each here) moved comes again: at
        // 1,000 lines a second a few thousand at most, where re-reading the file would repeat every line of it.
        Assert.InRange(duplicates, 0, 5_000);
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

    private static async Task ProduceAsync(string bootstrap, string topic, string value)
    {
        using var producer = KafkaClients.BuildProducer(new Dictionary<string, string> { ["bootstrap.servers"] = bootstrap, ["log_level"] = "3" });
        await producer.ProduceAsync(new TopicPartition(topic, 0), new Message<byte[]?, byte[]?> { Value = Encoding.UTF8.GetBytes(value) });
    }

    /// <summary>Every record of a one-partition topic (empty when it does not exist).</summary>
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
            return values;
        }
        finally
        {
            consumer.Close();
        }
    });
}
