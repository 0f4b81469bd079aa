using System.Net;
using System.Net.Sockets;
using OrleansConnect.Tests.Infrastructure;

namespace OrleansConnect.Tests.SchemaRegistry;

/// <summary>A registry that cannot serve stops the silo's start with one line and exit code 2: a port in use, a schemas
/// topic of several partitions (whose order Confluent's registry could not rely on either).</summary>
[Collection(BrokerCollection.Name)]
public sealed class RegistryStartupTests(TestBroker broker) : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "oc-registry-start-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private async Task<(int Code, string Log)> RunRefusedAsync(IReadOnlyDictionary<string, string> settings)
    {
        var all = new Dictionary<string, string>(settings) { ["schema.registry.enable"] = "true" };
        await using var silo = new SiloProcess(Path.Combine(_dir, Guid.NewGuid().ToString("N")[..6]), broker.BootstrapServers, all);
        return (await silo.RunToExitAsync(TimeSpan.FromSeconds(90)), silo.Log);
    }

    [Fact]
    public async Task A_registry_port_in_use_is_named()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var (code, log) = await RunRefusedAsync(new Dictionary<string, string> { ["schema.registry.listeners"] = $"http://127.0.0.1:{port}" });
        Assert.True(code == 2, $"exit code {code}:\n{log}");
        Assert.Contains($"The schema registry port is in use: http://127.0.0.1:{port}", log);
    }

    [Fact]
    public async Task A_schemas_topic_with_several_partitions_is_refused()
    {
        var topic = "_schemas-" + Guid.NewGuid().ToString("N")[..8];
        broker.Broker.CreateTopic(topic, 3, 1);
        var (code, log) = await RunRefusedAsync(new Dictionary<string, string> { ["schema.registry.topic"] = topic });
        Assert.True(code == 2, $"exit code {code}:\n{log}");
        Assert.Contains($"The schemas topic '{topic}' has 3 partitions; the schema registry needs exactly 1", log);
        Assert.DoesNotContain("Unhandled exception", log);
    }
}
