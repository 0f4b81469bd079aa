using OrleansConnect.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansConnect.Tests;

/// <summary>file → Kafka → file through a real silo process, driven over HTTP.</summary>
[Collection(BrokerCollection.Name)]
public sealed class FilePipelineTests(TestBroker broker, ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "oc-pipeline-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..8];

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
        return Task.CompletedTask;
    }

    private async Task CreatePipelineAsync(SiloProcess silo, string input, string outputFile, string topic)
    {
        broker.Broker.CreateTopic(topic, 1);
        await silo.Client.CreateConnectorAsync("source-" + _suffix, new Dictionary<string, string>
        {
            ["connector.class"] = "FileStreamSource",
            ["file"] = input,
            ["topic"] = topic,
        });
        await silo.Client.CreateConnectorAsync("sink-" + _suffix, new Dictionary<string, string>
        {
            ["connector.class"] = "org.apache.kafka.connect.file.FileStreamSinkConnector",
            ["file"] = outputFile,
            ["topics"] = topic,
        });
    }

    [Fact]
    public async Task A_hundred_thousand_lines_arrive_identical_and_in_order()
    {
        var input = Path.Combine(_dir, "input.txt");
        var outputFile = Path.Combine(_dir, "output.txt");
        var lines = LineFiles.Numbered(100_000);
        LineFiles.Write(input, lines);
        await using var silo = new SiloProcess(_dir, broker.BootstrapServers);
        await silo.StartAsync();
        await CreatePipelineAsync(silo, input, outputFile, "lines-" + _suffix);

        await silo.Client.WaitForStateAsync("source-" + _suffix, "RUNNING", 1, TimeSpan.FromSeconds(30));
        await Eventually.Until(() => Task.FromResult(LineFiles.CountLines(outputFile)), n => n >= lines.Length,
            TimeSpan.FromSeconds(180), n => $"{n} of {lines.Length} lines in the sink file\n{silo.Log}");

        Assert.Equal(lines, LineFiles.ReadCompleteLines(outputFile));
    }

    [Fact]
    public async Task A_silo_killed_mid_stream_and_started_again_loses_no_line()
    {
        var input = Path.Combine(_dir, "input.txt");
        var outputFile = Path.Combine(_dir, "output.txt");
        var lines = LineFiles.Numbered(100_000);
        LineFiles.Write(input, lines.Take(1_000));
        await using var silo = new SiloProcess(_dir, broker.BootstrapServers);
        await silo.StartAsync();
        await CreatePipelineAsync(silo, input, outputFile, "lines-" + _suffix);

        // The file keeps growing while the silo is killed and started again: the kill lands mid-stream.
        using var stopWriting = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            foreach (var chunk in lines.Skip(1_000).Chunk(500))
            {
                LineFiles.Write(input, chunk, append: true);
                await Task.Delay(25, stopWriting.Token);
            }
        });
        await Eventually.Until(() => Task.FromResult(LineFiles.CountLines(outputFile)), n => n >= 20_000,
            TimeSpan.FromSeconds(120), n => $"{n} lines before the kill\n{silo.Log}");
        await silo.KillAsync();
        var beforeRestart = LineFiles.CountLines(outputFile);
        Assert.True(beforeRestart < lines.Length, "the kill came after the whole file was written");

        await silo.StartAsync();
        await writer;
        await Eventually.Until(() => Task.FromResult(LineFiles.ReadCompleteLines(outputFile)),
            written => written.ToHashSet().Count >= lines.Length,
            TimeSpan.FromSeconds(180), w => $"{w?.ToHashSet().Count} distinct of {lines.Length} lines after restart\n{silo.Log}");

        var written = LineFiles.ReadCompleteLines(outputFile);
        var missing = lines.Except(written).ToList();
        var duplicates = written.Count - written.Distinct().Count();
        output.WriteLine($"killed after {beforeRestart} lines; {written.Count} lines written, {duplicates} duplicates (at-least-once after a crash), {missing.Count} missing");
        Assert.Empty(missing);
        Assert.Empty(written.Except(lines));
        // Whatever repeats, the first occurrences keep the input order.
        Assert.Equal(lines, written.Distinct().ToList());
    }

    [Fact]
    public async Task A_clean_stop_and_restart_neither_loses_nor_repeats_a_line()
    {
        var input = Path.Combine(_dir, "input.txt");
        var outputFile = Path.Combine(_dir, "output.txt");
        var first = LineFiles.Numbered(30_000);
        LineFiles.Write(input, first);
        await using var silo = new SiloProcess(_dir, broker.BootstrapServers);
        await silo.StartAsync();
        await CreatePipelineAsync(silo, input, outputFile, "lines-" + _suffix);
        await Eventually.Until(() => Task.FromResult(LineFiles.CountLines(outputFile)), n => n >= 5_000,
            TimeSpan.FromSeconds(120), n => $"{n} lines before the stop\n{silo.Log}");

        await silo.StopAsync();
        Assert.Equal(0, silo.ExitCode);
        // The file grows while the silo is down; the source resumes from its committed position.
        var second = LineFiles.Numbered(20_000, start: 30_001);
        LineFiles.Write(input, second, append: true);
        await silo.StartAsync();

        var all = first.Concat(second).ToArray();
        await Eventually.Until(() => Task.FromResult(LineFiles.CountLines(outputFile)), n => n >= all.Length,
            TimeSpan.FromSeconds(180), n => $"{n} of {all.Length} lines after restart\n{silo.Log}");
        Assert.Equal(all, LineFiles.ReadCompleteLines(outputFile));
    }
}
