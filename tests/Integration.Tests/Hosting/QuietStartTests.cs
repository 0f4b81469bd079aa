using OrleansConnect.Tests.Infrastructure;

namespace OrleansConnect.Tests.Hosting;

/// <summary>A default start (one silo, SQLite state, the embedded broker) logs no warning: a warning in a silo's log is
/// then always worth reading.</summary>
public sealed class QuietStartTests : IAsyncDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "oc-quiet-" + Guid.NewGuid().ToString("N")[..8]);

    public ValueTask DisposeAsync()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task A_default_start_logs_no_warning()
    {
        await using var silo = new SiloProcess(_dir, bootstrapServers: "");
        await silo.StartAsync(TimeSpan.FromSeconds(90));
        // The start line comes once the host runs: Orleans' start-up notes (GC, reminders, watchdog) are all before it.
        await Eventually.Until(() => Task.FromResult(silo.Log.Contains(" started; REST API on ", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), "the start line\n" + silo.Log);
        await silo.StopAsync(TimeSpan.FromSeconds(30));
        var warnings = silo.Log.Split('\n').Where(l => l.Contains(" warn: ", StringComparison.Ordinal) || l.Contains(" fail: ", StringComparison.Ordinal)).ToList();
        Assert.True(warnings.Count == 0, "warnings in a default start and stop:\n" + string.Join("\n", warnings));
    }
}
