using System.Text.Json.Nodes;
using OrleansConnect.Tests.Cluster;
using OrleansConnect.Tests.Contract;
using OrleansConnect.Tests.Infrastructure;

namespace OrleansConnect.Tests.SchemaRegistry;

/// <summary>Two silos serve one registry: ids come from the one writer grain, so concurrent registrations through both
/// silos never share an id, and each silo answers reads of what was written through the other.</summary>
[Collection(BrokerCollection.Name)]
public sealed class RegistryClusterTests(TestBroker broker, PostgresServer postgres) : IClassFixture<PostgresServer>, IAsyncLifetime
{

    private static Task<Reply> Send(HttpClient client, HttpMethod method, string path, string? body = null, string? contentType = "application/vnd.schemaregistry.v1+json") =>
        ContractHttp.SendAsync(client, method, path, body, body is null ? null : contentType);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "oc-registry-cluster-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _topic = "_schemas-" + Guid.NewGuid().ToString("N")[..8];
    private SiloCluster? _cluster;

    public async Task InitializeAsync()
    {
        broker.Broker.CreateTopic(_topic, 1, 1);
        _cluster = new SiloCluster(_dir, broker.BootstrapServers, postgres.ConnectionString,
            settings: new Dictionary<string, string> { ["schema.registry.enable"] = "true", ["schema.registry.topic"] = _topic });
        await _cluster.StartAsync(2);
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null) await _cluster.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Concurrent_registrations_through_two_silos_get_distinct_ids()
    {
        var clients = _cluster!.Silos.Select(s => new HttpClient { BaseAddress = s.RegistryAddress, Timeout = TimeSpan.FromSeconds(60) }).ToArray();
        try
        {
            const int count = 40;
            var registrations = Enumerable.Range(0, count).Select(async i =>
            {
                var schema = $$"""{"type":"record","name":"R{{i}}","fields":[{"name":"f","type":"int"}]}""";
                var reply = await clients[i % 2].SendAsync(HttpMethod.Post, $"subjects/cluster-{i}/versions",
                    new JsonObject { ["schema"] = schema }.ToJsonString(), "application/vnd.schemaregistry.v1+json");
                Assert.True(reply.Status == 200, reply.ToString());
                return (Subject: $"cluster-{i}", Id: (int)reply.Object["id"]!);
            }).ToList();
            var registered = await Task.WhenAll(registrations);
            Assert.Equal(count, registered.Select(r => r.Id).Distinct().Count());

            // Each silo reads every registration, including those made through the other.
            foreach (var client in clients)
                foreach (var (subject, id) in registered)
                {
                    var version = await Eventually.Until(() => Send(client, HttpMethod.Get, $"subjects/{subject}/versions/latest"),
                        r => r.Status == 200, TimeSpan.FromSeconds(30), r => $"{subject} through {client.BaseAddress}: {r}");
                    Assert.Equal(id, (int)version.Object["id"]!);
                }
        }
        finally
        {
            foreach (var client in clients) client.Dispose();
        }
    }
}
