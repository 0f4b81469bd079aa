using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using OrleansConnect.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansConnect.Tests.Cluster;

/// <summary>Three silo processes on Redis membership; Redis goes down and then a silo is killed with SIGKILL, so nobody
/// can write it dead: reads keep answering from the silos that are alive, and recover once Redis is back.</summary>
[Collection(BrokerCollection.Name)]
public sealed class ClusterOutageReadTests(TestBroker broker, PostgresServer postgres, ITestOutputHelper output)
    : IClassFixture<PostgresServer>, IAsyncLifetime
{
    private const int MinConnectors = 6;
    private const int MaxConnectors = 30;
    // What a client waits for one read while a silo is unreachable: far below the request timeout (90 s) and
    // Orleans' response timeout (30 s).
    private static readonly TimeSpan ReadDeadline = TimeSpan.FromSeconds(10);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "oc-outage-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..6];
    // Persistent, so Redis comes back with the membership table it had (an empty one is issue 24's item 1).
    private readonly RedisServer _redis = new() { Persistent = true };
    private SiloCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        await _redis.InitializeAsync();
        _cluster = new SiloCluster(_dir, broker.BootstrapServers, postgres.ConnectionString, redis: _redis.ConnectionString);
        // One silo first: what the test creates before the others join can only live there (the victim), registry
        // shards included. Orleans' resource-optimized placement avoids a busy silo, so once the others join, new
        // connectors may never land on it.
        await _cluster.StartAsync(1);
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        await _redis.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static async Task<(HttpStatusCode Status, string Body, TimeSpan Took)> GetAsync(SiloProcess silo, string path)
    {
        var watch = Stopwatch.StartNew();
        using var cts = new CancellationTokenSource(ReadDeadline);
        using var response = await silo.Client.GetAsync(path, cts.Token);
        var body = await response.Content.ReadAsStringAsync(cts.Token);
        return (response.StatusCode, body, watch.Elapsed);
    }

    [Fact]
    public async Task Reads_answer_from_live_silos_while_redis_is_down_and_a_killed_silo_cannot_be_declared_dead()
    {
        // The victim is the first silo: it ran alone while starting, so the 32 registry shards were activated there and
        // listing must do without them. Connectors are added until it holds some and the others hold some too.
        var victim = _cluster[0];
        var input = Path.Combine(_dir, "input.txt");
        await File.WriteAllTextAsync(input, "a line\n");
        var names = new List<string>();
        var placed = new Dictionary<string, string>();
        while (names.Count < MinConnectors || placed.Values.All(w => w == victim.WorkerId) && names.Count < MaxConnectors)
        {
            if (names.Count == MinConnectors / 2)
            {
                await _cluster.AddSiloAsync();
                await _cluster.AddSiloAsync();
            }
            var name = $"outage-{_suffix}-{names.Count}";
            await _cluster[names.Count % _cluster.Silos.Count].Client.CreateConnectorAsync(name, new Dictionary<string, string>
            {
                ["connector.class"] = "FileStreamSource",
                ["file"] = input,
                ["topic"] = $"outage-{_suffix}",
            });
            // Where the connector grain runs (its worker_id).
            var running = await _cluster[0].Client.WaitForStateAsync(name, "RUNNING", 1, TimeSpan.FromSeconds(30));
            placed[name] = (string)running!["connector"]!["worker_id"]!;
            names.Add(name);
        }
        var reader = _cluster[1];
        var lost = names.Where(n => placed[n] == victim.WorkerId).ToList();
        var alive = names.Except(lost).ToList();
        output.WriteLine($"victim {victim.WorkerId} holds {string.Join(", ", lost)}; the others {string.Join(", ", alive)}; reading from {reader.WorkerId}");
        Assert.NotEmpty(lost);
        Assert.NotEmpty(alive);
        // A listing before the outage, as any client would have made.
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(reader, "connectors")).Status);

        await _redis.StopAsync();
        await victim.KillAsync();
        var outage = Stopwatch.StartNew();

        // Nobody can write the victim dead while Redis is down: each round of reads must answer within the deadline,
        // and keep doing so for several death timeouts.
        var rounds = 0;
        var slowest = TimeSpan.Zero;
        do
        {
            rounds++;
            // Health is this silo's own: the registry shards all live on the dead silo here.
            var (status, body, took) = await GetAsync(reader, "health");
            Assert.True(status == HttpStatusCode.OK, $"GET /health answered {(int)status}: {body}");

            (status, body, took) = await GetAsync(reader, "connectors");
            slowest = took > slowest ? took : slowest;
            Assert.True(status == HttpStatusCode.OK, $"GET /connectors answered {(int)status}: {body}");
            Assert.Equal(names.Order(StringComparer.Ordinal), JsonNode.Parse(body)!.AsArray().Select(n => (string)n!));

            (status, body, took) = await GetAsync(reader, "connectors?expand=status&expand=info");
            slowest = took > slowest ? took : slowest;
            Assert.True(status == HttpStatusCode.OK, $"expand answered {(int)status}: {body}");
            var expanded = JsonNode.Parse(body)!.AsObject();
            Assert.Equal(names.Order(StringComparer.Ordinal), expanded.Select(kv => kv.Key));
            foreach (var name in names)
            {
                Assert.Equal(input, (string?)expanded[name]!["info"]!["config"]!["file"]);
                var state = expanded[name]!["status"]!["connector"]!;
                if (lost.Contains(name))
                {
                    Assert.Equal("UNASSIGNED", (string?)state["state"]);
                    Assert.Equal(victim.WorkerId, (string?)state["worker_id"]);
                }
                else Assert.Equal("RUNNING", (string?)state["state"]);
            }

            foreach (var name in alive)
            {
                (status, body, took) = await GetAsync(reader, $"connectors/{name}/status");
                slowest = took > slowest ? took : slowest;
                Assert.True(status == HttpStatusCode.OK, $"status of {name} (live) answered {(int)status}: {body}");
                Assert.Equal("RUNNING", (string?)JsonNode.Parse(body)!["connector"]!["state"]);
            }
            foreach (var name in lost)
            {
                foreach (var path in new[] { $"connectors/{name}/status", $"connectors/{name}" })
                {
                    (status, body, _) = await GetAsync(reader, path);
                    Assert.True(status == HttpStatusCode.ServiceUnavailable, $"{path} answered {(int)status}: {body}");
                    var message = (string)JsonNode.Parse(body)!["message"]!;
                    Assert.Equal(503, (int)JsonNode.Parse(body)!["error_code"]!);
                    Assert.Contains(name, message);
                    Assert.Contains(victim.WorkerId, message);
                    Assert.DoesNotContain("   at ", message);
                    Assert.DoesNotContain("--->", message);
                    if (rounds == 1) output.WriteLine($"{path}: {body}");
                }
            }
        } while (outage.Elapsed < TimeSpan.FromSeconds(8));
        var fromStorage = reader.Log.Split('\n').Count(l => l.Contains("Connector registry shard", StringComparison.Ordinal));
        output.WriteLine($"{rounds} rounds of reads in {outage.Elapsed.TotalSeconds:F1} s while Redis was down; {fromStorage} registry shard reads from storage; slowest read {slowest.TotalMilliseconds:F0} ms");
        Assert.True(fromStorage > 0, "no registry shard was on the killed silo: the listing's fallback was not exercised");

        // Redis back: membership declares the victim dead and its connectors run on the survivors.
        await _redis.StartAsync();
        var recovered = Stopwatch.StartNew();
        await Eventually.Until(async () =>
        {
            foreach (var name in names)
            {
                var (status, body, _) = await GetAsync(reader, $"connectors/{name}/status");
                if (status != HttpStatusCode.OK) return false;
                var json = JsonNode.Parse(body)!;
                if ((string?)json["connector"]!["state"] != "RUNNING" || (string?)json["connector"]!["worker_id"] == victim.WorkerId) return false;
                if (json["tasks"]!.AsArray().Any(t => (string?)t!["state"] != "RUNNING")) return false;
            }
            return true;
        }, TimeSpan.FromSeconds(60), $"every connector RUNNING on a survivor after Redis came back\n{_cluster.Logs}");
        output.WriteLine($"every connector RUNNING on the survivors {recovered.Elapsed.TotalSeconds:F1} s after Redis came back");
        var listing = await GetAsync(reader, "connectors?expand=status");
        Assert.Equal(HttpStatusCode.OK, listing.Status);
        Assert.All(names, n => Assert.Equal("RUNNING", (string?)JsonNode.Parse(listing.Body)![n]!["status"]!["connector"]!["state"]));
    }
}
