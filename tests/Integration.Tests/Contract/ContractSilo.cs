using OrleansConnect.Tests.Infrastructure;

namespace OrleansConnect.Tests.Contract;

/// <summary>The silo one contract test class drives: a real silo process on the collection's broker, started on the
/// first test and stopped after the last one (one silo per class keeps the suite fast). Subclasses give worker
/// settings.</summary>
public abstract class ContractSilo : IAsyncLifetime
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private SiloProcess? _silo;

    /// <summary>Worker settings (worker.properties keys) of this silo.</summary>
    protected virtual IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>();

    public SiloProcess Process => _silo ?? throw new InvalidOperationException("The silo is not started.");

    public HttpClient Client => Process.Client;

    /// <summary>A directory of this silo's for the files connectors read and write.</summary>
    public string FilesDir => Path.Combine(Process.WorkDir, "files");

    public async Task StartAsync(TestBroker broker)
    {
        await _gate.WaitAsync();
        try
        {
            if (_silo is not null) return;
            var dir = Path.Combine(Path.GetTempPath(), "oc-contract-" + GetType().Name.ToLowerInvariant() + "-" + Guid.NewGuid().ToString("N")[..8]);
            var silo = new SiloProcess(dir, broker.BootstrapServers, Settings);
            await silo.StartAsync();
            Directory.CreateDirectory(Path.Combine(dir, "files"));
            _silo = silo;
        }
        finally
        {
            _gate.Release();
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_silo is null) return;
        await _silo.DisposeAsync();
        try { Directory.Delete(_silo.WorkDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
