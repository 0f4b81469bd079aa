using Confluent.SchemaRegistry;
using OrleansConnect.Tests.Infrastructure;

namespace OrleansConnect.Tests.SchemaRegistry;

/// <summary>One silo process serving the schema registry over loopback, against the test broker (a real Kafka for the
/// silo, so the registry is switched on explicitly) with a schemas topic of its own. Tests use subjects of their own.</summary>
public sealed class RegistrySilo : IAsyncLifetime
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "oc-registry-" + Guid.NewGuid().ToString("N")[..8]);
    public string Topic { get; } = "_schemas-" + Guid.NewGuid().ToString("N")[..8];
    public SiloProcess? Process { get; private set; }
    public TestBroker? Broker { get; private set; }

    public async Task StartAsync(TestBroker broker, IReadOnlyDictionary<string, string>? settings = null)
    {
        await _gate.WaitAsync();
        try
        {
            if (Process is not null) return;
            Broker = broker;
            // The test broker's admin API cannot create topics: made up front, as an administrator of a real cluster may.
            broker.Broker.CreateTopic(Topic, 1, 1);
            var all = new Dictionary<string, string> { ["schema.registry.enable"] = "true", ["schema.registry.topic"] = Topic };
            foreach (var (key, value) in settings ?? new Dictionary<string, string>()) all[key] = value;
            var process = new SiloProcess(Dir, broker.BootstrapServers, all);
            await process.StartAsync();
            await Eventually.Until(async () =>
            {
                using var http = new HttpClient();
                // Any answer will do (with authentication on it is 401): the listener is up.
                try { using var _ = await http.GetAsync(new Uri(process.RegistryAddress, "subjects")); return true; }
                catch (HttpRequestException) { return false; }
            }, TimeSpan.FromSeconds(30), "the registry listening\n" + process.Log);
            Process = process;
        }
        finally
        {
            _gate.Release();
        }
    }

    public HttpClient Http() => new() { BaseAddress = Process!.RegistryAddress, Timeout = TimeSpan.FromSeconds(60) };

    public CachedSchemaRegistryClient Client(string? userInfo = null) => new(new SchemaRegistryConfig
    {
        Url = Process!.RegistryAddress.ToString(),
        BasicAuthUserInfo = userInfo,
        BasicAuthCredentialsSource = userInfo is null ? null : AuthCredentialsSource.UserInfo,
    });

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (Process is not null) await Process.DisposeAsync();
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
