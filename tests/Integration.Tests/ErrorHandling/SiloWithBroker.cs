using OrleansConnect.Tests.Infrastructure;

namespace OrleansConnect.Tests.ErrorHandling;

/// <summary>One silo process and its own test broker, shared by the tests of a class (each test uses its own
/// topics and connector names), so that a class pays for one silo start.</summary>
public sealed class SiloWithBroker : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "oc-errors-" + Guid.NewGuid().ToString("N")[..8]);

    public TestBroker Broker { get; } = new();

    public SiloProcess Silo { get; private set; } = null!;

    public string Dir => _dir;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        Silo = new SiloProcess(_dir, Broker.BootstrapServers);
        await Silo.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await Silo.DisposeAsync();
        Broker.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    /// <summary>A fresh name for a topic, connector or file.</summary>
    public static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];
}
