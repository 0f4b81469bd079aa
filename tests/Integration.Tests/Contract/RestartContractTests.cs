using System.Text.Json.Nodes;
using OrleansConnect.Tests.Infrastructure;
using static OrleansConnect.Tests.Contract.ContractHttp;

namespace OrleansConnect.Tests.Contract;

/// <summary>Contract §3 rows 13-14 and §4.5: the restart matrix (204 without parameters, 202 with the planned states
/// otherwise), task restarts and the asynchronous return to RUNNING. The silo's automatic restart of FAILED tasks is
/// pushed out of the way (10 minutes) so that FAILED stays FAILED until a test restarts it.</summary>
[Collection(BrokerCollection.Name)]
public sealed class RestartContractTests(TestBroker broker, RestartContractTests.Silo silo)
    : IClassFixture<RestartContractTests.Silo>, IAsyncLifetime
{
    public sealed class Silo : ContractSilo
    {
        protected override IReadOnlyDictionary<string, string> Settings { get; } =
            new Dictionary<string, string> { ["task.restart.backoff.initial.ms"] = "600000", ["task.restart.backoff.max.ms"] = "600000" };
    }

    private HttpClient Client => silo.Client;

    public Task InitializeAsync() => silo.StartAsync(broker);

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<string> RunningSinkAsync(int tasks, string? file = null)
    {
        var name = Unique("restart");
        var topic = Unique("topic");
        broker.Broker.CreateTopic(topic, 1);
        await Client.CreateAsync(name, new Dictionary<string, string>
        {
            ["connector.class"] = "FileStreamSink",
            ["topics"] = topic,
            ["tasks.max"] = tasks.ToString(),
            ["file"] = file ?? Path.Combine(silo.FilesDir, name + ".txt"),
        });
        return name;
    }

    private static string[] States(JsonNode status) =>
        [(string)status["connector"]!["state"]!, .. status["tasks"]!.AsArray().Select(t => (string)t!["state"]!)];

    [Theory]
    [InlineData("")]
    [InlineData("?includeTasks=false&onlyFailed=false")]
    public async Task Restart_without_flags_answers_204_without_a_body(string query)
    {
        var name = await RunningSinkAsync(1);
        await Client.WaitForStateAsync(name, "RUNNING", 1);

        var reply = await Client.Post(ConnectorPath(name, "restart") + query);
        AssertStatus(reply, 204);
        Assert.Equal("", reply.Text);
        await Client.WaitForStateAsync(name, "RUNNING", 1);
    }

    [Fact]
    public async Task Restart_with_tasks_answers_202_with_everything_restarting_then_everything_runs_again()
    {
        var name = await RunningSinkAsync(2);
        await Client.WaitForStateAsync(name, "RUNNING", 2);

        var reply = await Client.Post(ConnectorPath(name, "restart?includeTasks=true"));
        AssertStatus(reply, 202);
        Assert.Equal(name, (string?)reply.Json!["name"]);
        Assert.Equal("sink", (string?)reply.Json!["type"]);
        Assert.Equal(["RESTARTING", "RESTARTING", "RESTARTING"], States(reply.Json!));
        Assert.False(reply.Json!["connector"]!.AsObject().ContainsKey("trace"));

        await Client.WaitForStateAsync(name, "RUNNING", 2);
    }

    [Theory]
    [InlineData("?onlyFailed=true")]
    [InlineData("?includeTasks=true&onlyFailed=true")]
    [InlineData("?onlyFailed=TRUE&includeTasks=yes")]
    public async Task Only_failed_on_a_healthy_connector_answers_202_with_nothing_restarting(string query)
    {
        var name = await RunningSinkAsync(1);
        await Client.WaitForStateAsync(name, "RUNNING", 1);

        var reply = await Client.Post(ConnectorPath(name, "restart") + query);
        AssertStatus(reply, 202);
        Assert.Equal(["RUNNING", "RUNNING"], States(reply.Json!));
    }

    [Fact]
    public async Task Only_failed_tasks_restart_and_a_task_restart_answers_204()
    {
        var missing = Path.Combine(silo.FilesDir, Unique("missing-dir"));
        var name = await RunningSinkAsync(1, Path.Combine(missing, "out.txt"));
        var failed = await Client.WaitForStatusAsync(name, s => (string?)s["tasks"]?[0]?["state"] == "FAILED", "task FAILED");
        Assert.Contains("out.txt", (string?)failed["tasks"]![0]!["trace"]);

        // includeTasks=false: only a FAILED connector would restart; the FAILED task stays as it is.
        var connectorOnly = await Client.Post(ConnectorPath(name, "restart?onlyFailed=true"));
        AssertStatus(connectorOnly, 202);
        Assert.Equal(["RUNNING", "FAILED"], States(connectorOnly.Json!));
        Assert.NotNull((string?)connectorOnly.Json!["tasks"]![0]!["trace"]);

        var failedTasks = await Client.Post(ConnectorPath(name, "restart?includeTasks=true&onlyFailed=true"));
        AssertStatus(failedTasks, 202);
        Assert.Equal(["RUNNING", "RESTARTING"], States(failedTasks.Json!));
        Assert.False(failedTasks.Json!["tasks"]![0]!.AsObject().ContainsKey("trace"));
        // The folder is still missing: the restarted task fails again, asynchronously.
        await Client.WaitForStatusAsync(name, s => (string?)s["tasks"]?[0]?["state"] == "FAILED", "task FAILED again");

        Directory.CreateDirectory(missing);
        var taskRestart = await Client.Post(ConnectorPath(name, "tasks/0/restart"));
        AssertStatus(taskRestart, 204);
        Assert.Equal("", taskRestart.Text);
        await Client.WaitForStateAsync(name, "RUNNING", 1);
    }

    [Theory]
    [InlineData("")]
    [InlineData("?includeTasks=true")]
    [InlineData("?onlyFailed=true")]
    [InlineData("?includeTasks=true&onlyFailed=true")]
    public async Task Restarting_an_unknown_connector_is_404(string query)
    {
        var name = Unique("nobody");
        AssertError(await Client.Post(ConnectorPath(name, "restart") + query), 404, $"Unknown connector: {name}");
    }

    [Fact]
    public async Task Restarting_an_unknown_task_is_404()
    {
        var name = await RunningSinkAsync(1);
        AssertError(await Client.Post(ConnectorPath(name, "tasks/5/restart")), 404, $"Unknown task: {name}-5");
        var nobody = Unique("nobody");
        AssertError(await Client.Post(ConnectorPath(nobody, "tasks/0/restart")), 404, $"Unknown connector: {nobody}");
        AssertError(await Client.Post(ConnectorPath(name, "tasks/x/restart")), 404, "HTTP 404 Not Found");
    }
}
