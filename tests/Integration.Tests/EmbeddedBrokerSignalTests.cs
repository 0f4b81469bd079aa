using OrleansConnect.Tests.Cluster;
using OrleansConnect.Tests.Infrastructure;

namespace OrleansConnect.Tests;

/// <summary>The embedded default paused and resumed (Ctrl-Z then fg, a paused VM): .NET handles SIGCONT in-process, and
/// the mock broker's thread used to take it as a fatal poll() error and close every listener, so nothing moved again.</summary>
public sealed class EmbeddedBrokerSignalTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "oc-signals-" + Guid.NewGuid().ToString("N")[..8]);
    private SiloProcess? _silo;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_silo is not null) await _silo.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Pausing_and_resuming_the_embedded_default_leaves_its_broker_serving()
    {
        Directory.CreateDirectory(_dir);
        var input = Path.Combine(_dir, "input.txt");
        var output = Path.Combine(_dir, "output.txt");
        LineFiles.Write(input, LineFiles.Numbered(5_000));
        _silo = new SiloProcess(Path.Combine(_dir, "silo"), bootstrapServers: "");
        await _silo.StartAsync(TimeSpan.FromSeconds(90));
        await _silo.Client.CreateConnectorAsync("source", new Dictionary<string, string>
        {
            ["connector.class"] = "FileStreamSource", ["file"] = input, ["topic"] = "lines",
        });
        await _silo.Client.CreateConnectorAsync("sink", new Dictionary<string, string>
        {
            ["connector.class"] = "FileStreamSink", ["file"] = output, ["topics"] = "lines",
        });
        await Eventually.Until(() => Task.FromResult(LineFiles.CountLines(output)), n => n >= 5_000, TimeSpan.FromSeconds(60),
            n => $"{n} of 5,000 lines before the pauses\n{_silo.Log}");

        // Each SIGCONT is handled by some thread of the process; before the fix one landing on the mock broker's thread
        // within a few dozen cycles was the rule.
        for (var i = 0; i < 40; i++)
        {
            SiloSignals.Pause(_silo);
            await Task.Delay(50);
            SiloSignals.Resume(_silo);
            await Task.Delay(50);
        }

        LineFiles.Write(input, LineFiles.Numbered(1_000, start: 5_001), append: true);
        await Eventually.Until(() => Task.FromResult(LineFiles.CountLines(output)), n => n >= 6_000, TimeSpan.FromSeconds(30),
            n => $"{n} of 6,000 lines after 40 pauses\n{_silo.Log}");
        Assert.DoesNotContain("Mock cluster failed to poll", _silo.Log);
    }
}
