using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using OrleansConnect.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansConnect.Tests.Cluster;

/// <summary>Three silo processes sharing a PostgreSQL database: tasks spread evenly, and the REST API of any silo
/// manages any connector without 409s.</summary>
[Collection(BrokerCollection.Name)]
public sealed class ClusterManagementTests(TestBroker broker, PostgresServer postgres, ITestOutputHelper output)
    : IClassFixture<PostgresServer>, IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "oc-cluster-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..6];
    private SiloCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        _cluster = new SiloCluster(_dir, broker.BootstrapServers, postgres.ConnectionString);
        var started = Stopwatch.StartNew();
        await _cluster.StartAsync(3);
        output.WriteLine($"3 silos healthy in {started.Elapsed.TotalSeconds:F1} s");
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private Dictionary<string, string> SinkConfig(string topic, string file, int tasks) => new()
    {
        ["connector.class"] = "FileStreamSink",
        ["topics"] = topic,
        ["file"] = Path.Combine(_dir, file),
        ["tasks.max"] = tasks.ToString(),
    };

    [Fact]
    public async Task Ten_connectors_of_three_tasks_spread_within_one_task_per_silo()
    {
        var topic = "spread-" + _suffix;
        broker.Broker.CreateTopic(topic, 3);
        var names = Enumerable.Range(0, 10).Select(i => $"spread-{_suffix}-{i}").ToList();
        for (var i = 0; i < names.Count; i++)
        {
            // Created through every silo in turn: placement does not depend on where the request arrives.
            var client = _cluster[i % 3].Client;
            await client.CreateConnectorAsync(names[i], SinkConfig(topic, $"out-{i}.txt", 3));
            await client.WaitForStateAsync(names[i], "RUNNING", 3, TimeSpan.FromSeconds(30));
        }

        var tasks = await SiloCluster.TasksAsync(_cluster[0].Client, names);
        Assert.Equal(30, tasks.Count);
        Assert.All(tasks, t => Assert.Equal("RUNNING", t.State));
        var perSilo = _cluster.Silos.ToDictionary(s => s.WorkerId, s => tasks.Count(t => t.WorkerId == s.WorkerId));
        output.WriteLine("tasks per silo: " + string.Join(", ", perSilo.Select(kv => $"{kv.Key}={kv.Value}")));
        Assert.Equal(30, perSilo.Values.Sum()); // every worker_id is one of the silos' advertised REST host:port
        Assert.All(perSilo.Values, n => Assert.InRange(n, 9, 11));
    }

    [Fact]
    public async Task Any_silo_manages_any_connector_and_a_burst_of_changes_gets_no_conflict()
    {
        var topic = "rest-" + _suffix;
        broker.Broker.CreateTopic(topic, 3);

        // One connector, managed through three different silos.
        var name = "rest-" + _suffix;
        await _cluster[0].Client.CreateConnectorAsync(name, SinkConfig(topic, "rest.txt", 2));
        await _cluster[1].Client.WaitForStateAsync(name, "RUNNING", 2, TimeSpan.FromSeconds(30));
        var (pause, _) = await _cluster[2].Client.SendAsync(HttpMethod.Put, $"connectors/{name}/pause");
        Assert.Equal(HttpStatusCode.Accepted, pause);
        await _cluster[0].Client.WaitForStateAsync(name, "PAUSED", 2, TimeSpan.FromSeconds(30));
        var (resume, _) = await _cluster[1].Client.SendAsync(HttpMethod.Put, $"connectors/{name}/resume");
        Assert.Equal(HttpStatusCode.Accepted, resume);
        await _cluster[2].Client.WaitForStateAsync(name, "RUNNING", 2, TimeSpan.FromSeconds(30));
        var (delete, _) = await _cluster[2].Client.SendAsync(HttpMethod.Delete, $"connectors/{name}");
        Assert.Equal(HttpStatusCode.NoContent, delete);
        foreach (var silo in _cluster.Silos)
        {
            var (gone, body) = await silo.Client.SendAsync(HttpMethod.Get, $"connectors/{name}");
            Assert.True(gone == HttpStatusCode.NotFound, $"{silo.WorkerId} answered {(int)gone} for a deleted connector: {body}");
        }

        // A bystander keeps running while 102 creates, updates and deletes arrive at all silos at once.
        var bystander = "bystander-" + _suffix;
        await _cluster[0].Client.CreateConnectorAsync(bystander, SinkConfig(topic, "bystander.txt", 3));
        var before = await _cluster[0].Client.WaitForStateAsync(bystander, "RUNNING", 3, TimeSpan.FromSeconds(30));

        var statuses = new System.Collections.Concurrent.ConcurrentBag<(string Op, HttpStatusCode Status, string? Body)>();
        var burst = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, 34), new ParallelOptions { MaxDegreeOfParallelism = 6 }, async (i, _) =>
        {
            var churn = $"churn-{_suffix}-{i}";
            var config = SiloCluster.Config(SinkConfig(topic, $"churn-{i}.txt", 1 + i % 3)).ToJsonString();
            var create = new JsonObject { ["name"] = churn, ["config"] = JsonNode.Parse(config) }.ToJsonString();
            var (s1, b1) = await _cluster[i % 3].Client.SendAsync(HttpMethod.Post, "connectors", create);
            statuses.Add(("create", s1, b1?.ToJsonString()));
            var updated = SiloCluster.Config(SinkConfig(topic, $"churn-{i}-b.txt", 1 + (i + 1) % 3)).ToJsonString();
            var (s2, b2) = await _cluster[(i + 1) % 3].Client.SendAsync(HttpMethod.Put, $"connectors/{churn}/config", updated);
            statuses.Add(("update", s2, b2?.ToJsonString()));
            var (s3, b3) = await _cluster[(i + 2) % 3].Client.SendAsync(HttpMethod.Delete, $"connectors/{churn}");
            statuses.Add(("delete", s3, b3?.ToJsonString()));
        });
        output.WriteLine($"{statuses.Count} REST writes across 3 silos in {burst.Elapsed.TotalSeconds:F1} s: "
            + string.Join(", ", statuses.GroupBy(s => (s.Op, s.Status)).Select(g => $"{g.Key.Op} {(int)g.Key.Status} x{g.Count()}")));

        Assert.Equal(102, statuses.Count);
        Assert.DoesNotContain(statuses, s => s.Status == HttpStatusCode.Conflict);
        var failures = statuses.Where(s => (int)s.Status is < 200 or >= 300).ToList();
        Assert.True(failures.Count == 0, "failed writes: " + string.Join("; ", failures.Select(f => $"{f.Op} {(int)f.Status} {f.Body}")));
        var (list, listBody) = await _cluster[1].Client.SendAsync(HttpMethod.Get, "connectors");
        Assert.Equal(HttpStatusCode.OK, list);
        Assert.DoesNotContain(listBody!.AsArray(), n => ((string?)n)!.StartsWith("churn-" + _suffix, StringComparison.Ordinal));

        // The bystander's tasks were not restarted: same workers, and each logged its start once.
        var after = await _cluster[2].Client.WaitForStateAsync(bystander, "RUNNING", 3, TimeSpan.FromSeconds(10));
        Assert.Equal(before!["tasks"]!.ToJsonString(), after!["tasks"]!.ToJsonString());
        for (var task = 0; task < 3; task++)
        {
            var marker = $"Task {bystander}-{task} started";
            var starts = _cluster.Silos.Sum(s => CountOccurrences(s.Log, marker));
            Assert.True(starts == 1, $"{marker}: {starts} times\n{_cluster.Logs}");
        }
    }

    private static int CountOccurrences(string text, string value)
    {
        var count = 0;
        for (var at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + value.Length, StringComparison.Ordinal)) count++;
        return count;
    }
}
