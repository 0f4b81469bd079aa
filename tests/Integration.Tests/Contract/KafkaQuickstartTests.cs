using System.Text.RegularExpressions;
using Confluent.Kafka;
using OrleansConnect.Grains.Kafka;
using OrleansConnect.Tests.Infrastructure;

namespace OrleansConnect.Tests.Contract;

/// <summary>Kafka's quickstart ("Import/export your data as streams of events with Kafka Connect"), replayed on the
/// embedded default: a FileStreamSource reads test.txt into connect-test with no topic.creation.* settings, a
/// FileStreamSink writes connect-test to test.sink.txt. A Kafka broker creates connect-test with its num.partitions
/// (1 by default), so the sink's file keeps the source file's order; the embedded broker must do the same.</summary>
public sealed class KafkaQuickstartTests : IAsyncLifetime
{
    private readonly string _workDir = Path.Combine(Path.GetTempPath(), "oc-quickstart-" + Guid.NewGuid().ToString("N")[..8]);
    private SiloProcess? _silo;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_silo is not null) await _silo.DisposeAsync();
        try { Directory.Delete(_workDir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task The_quickstart_pipeline_keeps_line_order_on_the_embedded_broker()
    {
        Directory.CreateDirectory(_workDir);
        var input = Path.Combine(_workDir, "test.txt");
        var output = Path.Combine(_workDir, "test.sink.txt");
        var lines = Enumerable.Range(0, 2000).Select(i => $"line {i:0000}").ToList();
        LineFiles.Write(input, lines);

        _silo = new SiloProcess(_workDir, bootstrapServers: "", new Dictionary<string, string> { ["group.id"] = "quickstart-" + Guid.NewGuid().ToString("N")[..8] });
        await _silo.StartAsync();
        // connect-file-source.properties and connect-file-sink.properties of Kafka's config/ directory, as JSON.
        await _silo.Client.CreateConnectorAsync("local-file-source", new Dictionary<string, string>
        {
            ["connector.class"] = "FileStreamSource", ["tasks.max"] = "1", ["file"] = input, ["topic"] = "connect-test",
        });
        await _silo.Client.CreateConnectorAsync("local-file-sink", new Dictionary<string, string>
        {
            ["connector.class"] = "FileStreamSink", ["tasks.max"] = "1", ["file"] = output, ["topics"] = "connect-test",
        });

        await Eventually.Until(() => Task.FromResult(File.Exists(output) && File.ReadAllLines(output).Length >= lines.Count),
            TimeSpan.FromSeconds(60), $"{lines.Count} lines in {output}");
        Assert.Equal(lines, File.ReadAllLines(output));
        Assert.Equal(1, await PartitionCountAsync(BootstrapOf(_silo), "connect-test"));

        // Lines appended later follow in order too.
        var more = Enumerable.Range(2000, 500).Select(i => $"line {i:0000}").ToList();
        LineFiles.Write(input, more, append: true);
        await Eventually.Until(() => Task.FromResult(File.ReadAllLines(output).Length >= lines.Count + more.Count),
            TimeSpan.FromSeconds(60), $"{lines.Count + more.Count} lines in {output}");
        Assert.Equal(lines.Concat(more), File.ReadAllLines(output));
    }

    private static string BootstrapOf(SiloProcess silo)
    {
        var match = Regex.Match(silo.Log, @"Embedded Kafka broker listening on (\S+)");
        Assert.True(match.Success, "the silo did not log its embedded broker's address:\n" + silo.Log);
        return match.Groups[1].Value;
    }

    private static Task<int> PartitionCountAsync(string bootstrap, string topic) => KafkaBlocking.Run(() =>
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build();
        return admin.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics.Single().Partitions.Count;
    });
}
