using System.Net;
using System.Text.Json.Nodes;
using OrleansConnect.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansConnect.Tests.Cluster;

/// <summary>Ten clients writing one connector at once through two silos: PUT config and DELETE race each other (a DELETE
/// ends the connector's activation while PUTs queue on it), and every request gets an answer Kafka Connect gives.</summary>
[Collection(BrokerCollection.Name)]
public sealed class ConcurrentWritesTests(TestBroker broker, PostgresServer postgres, ITestOutputHelper output)
    : IClassFixture<PostgresServer>, IAsyncLifetime
{
    private const int Clients = 10;
    private const int Rounds = 20;
    private static readonly HashSet<HttpStatusCode> ConnectAnswers =
        [HttpStatusCode.OK, HttpStatusCode.Created, HttpStatusCode.NoContent, HttpStatusCode.NotFound, HttpStatusCode.Conflict];

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "oc-storm-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..6];
    private SiloCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        _cluster = new SiloCluster(_dir, broker.BootstrapServers, postgres.ConnectionString);
        await _cluster.StartAsync(2);
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private string Config(string name, int version) => SiloCluster.Config(new Dictionary<string, string>
    {
        ["name"] = name,
        ["connector.class"] = "FileStreamSource",
        ["file"] = Path.Combine(_dir, "input.txt"),
        ["topic"] = "storm-" + _suffix,
        // A new value each time, so every PUT is a real reconfiguration.
        ["batch.size"] = (100 + version).ToString(),
    }).ToJsonString();

    private static async Task<List<string>> NamesAsync(SiloProcess silo)
    {
        var (status, body) = await silo.Client.SendAsync(HttpMethod.Get, "connectors");
        Assert.Equal(HttpStatusCode.OK, status);
        return body!.AsArray().Select(n => (string)n!).ToList();
    }

    [Fact]
    public async Task Put_and_delete_storms_on_one_connector_answer_only_what_connect_answers()
    {
        var name = "storm-" + _suffix;
        var path = $"connectors/{name}";
        await File.WriteAllTextAsync(Path.Combine(_dir, "input.txt"), "a line\n");
        var seen = new Dictionary<string, int>();
        var unexpected = new List<string>();

        for (var round = 0; round < Rounds; round++)
        {
            var requests = Enumerable.Range(0, Clients).Select(async client =>
            {
                var silo = _cluster[client % 2];
                // Two of ten clients delete, the others put a new config.
                var (status, body) = client % 5 == 4
                    ? await silo.Client.SendAsync(HttpMethod.Delete, path)
                    : await silo.Client.SendAsync(HttpMethod.Put, path + "/config", Config(name, round * Clients + client));
                return (Method: client % 5 == 4 ? "DELETE" : "PUT", Status: status, Body: body);
            });
            foreach (var (method, status, body) in await Task.WhenAll(requests))
            {
                var key = $"{method} {(int)status}";
                seen[key] = seen.GetValueOrDefault(key) + 1;
                if (!ConnectAnswers.Contains(status)) unexpected.Add($"round {round}: {key} {body?.ToJsonString()}");
            }
        }
        output.WriteLine("answers: " + string.Join(", ", seen.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key} x{kv.Value}")));
        Assert.True(unexpected.Count == 0, string.Join("\n", unexpected) + "\n" + _cluster.Logs);

        // The final state is one both silos agree on: listed exactly when it exists.
        var (exists, _) = await _cluster[0].Client.SendAsync(HttpMethod.Get, path);
        Assert.True(exists is HttpStatusCode.OK or HttpStatusCode.NotFound, $"GET {path} answered {(int)exists}");
        foreach (var silo in _cluster.Silos)
        {
            var names = await NamesAsync(silo);
            Assert.Equal(exists == HttpStatusCode.OK ? 1 : 0, names.Count(n => n == name));
        }

        // And it still works as one connector: created or replaced, it runs; deleted, it is gone everywhere.
        var (put, putBody) = await _cluster[1].Client.SendAsync(HttpMethod.Put, path + "/config", Config(name, -1));
        Assert.True(put is HttpStatusCode.OK or HttpStatusCode.Created, $"PUT answered {(int)put}: {putBody}");
        var running = await _cluster[0].Client.WaitForStateAsync(name, "RUNNING", 1, TimeSpan.FromSeconds(30));
        Assert.Single(running!["tasks"]!.AsArray());
        var (config, configBody) = await _cluster[0].Client.SendAsync(HttpMethod.Get, path + "/config");
        Assert.Equal(HttpStatusCode.OK, config);
        Assert.Equal("99", (string?)configBody!["batch.size"]);

        var (deleted, _) = await _cluster[0].Client.SendAsync(HttpMethod.Delete, path);
        Assert.Equal(HttpStatusCode.NoContent, deleted);
        foreach (var silo in _cluster.Silos)
        {
            Assert.Equal(HttpStatusCode.NotFound, (await silo.Client.SendAsync(HttpMethod.Get, path)).Status);
            Assert.DoesNotContain(name, await NamesAsync(silo));
        }
    }
}
