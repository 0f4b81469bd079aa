using System.Net;
using System.Text.Json.Nodes;
using OrleansConnect.Tests.Infrastructure;

namespace OrleansConnect.Tests.Hosting;

/// <summary>One REST call cannot take a silo down: a connector's tasks.max above connector.tasks.max.limit is refused,
/// and tasks beyond the silo's tasks.max.per.silo stay UNASSIGNED with a trace saying why, while the silo keeps serving
/// and the connector can be deleted.</summary>
[Collection(BrokerCollection.Name)]
public sealed class TaskBudgetTests(TestBroker broker) : IAsyncLifetime
{
    private const int Budget = 3;
    private const int Limit = 50;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "oc-budget-" + Guid.NewGuid().ToString("N")[..8]);
    private SiloProcess _silo = null!;

    public async Task InitializeAsync()
    {
        _silo = new SiloProcess(_dir, broker.BootstrapServers, new Dictionary<string, string>
        {
            ["tasks.max.per.silo"] = Budget.ToString(),
            ["connector.tasks.max.limit"] = Limit.ToString(),
            ["reconcile.interval.ms"] = "1000",
        });
        await _silo.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _silo.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private JsonObject Sink(string name, int tasks, string topic) => new()
    {
        ["name"] = name,
        ["config"] = new JsonObject
        {
            ["connector.class"] = "FileStreamSink",
            ["topics"] = topic,
            ["file"] = Path.Combine(_dir, name + ".txt"),
            ["tasks.max"] = tasks.ToString(),
        },
    };

    [Fact]
    public async Task Tasks_max_above_the_worker_limit_is_refused_naming_both_numbers()
    {
        var (status, body) = await _silo.Client.SendAsync(HttpMethod.Post, "connectors", Sink("too-many", Limit + 1, "t").ToJsonString());
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var message = (string)body!["message"]!;
        Assert.Contains($"tasks.max {Limit + 1}", message);
        Assert.Contains($"connector.tasks.max.limit {Limit}", message);
        var (_, list) = await _silo.Client.SendAsync(HttpMethod.Get, "connectors");
        Assert.Empty(list!.AsArray());
    }

    [Fact]
    public async Task A_sink_far_beyond_the_budget_leaves_the_silo_serving_and_is_deletable()
    {
        var topic = "budget-" + Guid.NewGuid().ToString("N")[..6];
        broker.Broker.CreateTopic(topic, 1);
        var (created, _) = await _silo.Client.SendAsync(HttpMethod.Post, "connectors", Sink("wide", 40, topic).ToJsonString());
        Assert.Equal(HttpStatusCode.Created, created);

        // Exactly the budget runs; every other task waits UNASSIGNED and says why.
        var status = await Eventually.Until(async () => (await _silo.Client.SendAsync(HttpMethod.Get, "connectors/wide/status")).Body,
            s => s?["tasks"]?.AsArray().Count == 40 && s["tasks"]!.AsArray().Count(t => (string?)t!["state"] == "RUNNING") == Budget,
            TimeSpan.FromSeconds(60), s => $"{Budget} of 40 tasks RUNNING; last: {s}\n{_silo.Log}");
        var waiting = status!["tasks"]!.AsArray().Where(t => (string?)t!["state"] != "RUNNING").ToList();
        Assert.Equal(40 - Budget, waiting.Count);
        Assert.All(waiting, t =>
        {
            Assert.Equal("UNASSIGNED", (string?)t!["state"]);
            Assert.Contains($"tasks.max.per.silo ({Budget})", (string?)t["trace"]);
        });

        // The silo keeps answering and the connector goes away with one call.
        var (health, _) = await _silo.Client.SendAsync(HttpMethod.Get, "health");
        Assert.Equal(HttpStatusCode.OK, health);
        var (deleted, _) = await _silo.Client.SendAsync(HttpMethod.Delete, "connectors/wide");
        Assert.Equal(HttpStatusCode.NoContent, deleted);
        var (gone, _) = await _silo.Client.SendAsync(HttpMethod.Get, "connectors/wide");
        Assert.Equal(HttpStatusCode.NotFound, gone);

        // Freed slots serve the next connector at once.
        var (again, _) = await _silo.Client.SendAsync(HttpMethod.Post, "connectors", Sink("narrow", Budget, topic).ToJsonString());
        Assert.Equal(HttpStatusCode.Created, again);
        await _silo.Client.WaitForStateAsync("narrow", "RUNNING", Budget, TimeSpan.FromSeconds(60));
    }
}
