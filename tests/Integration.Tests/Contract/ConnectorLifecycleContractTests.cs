using System.Text.Json.Nodes;
using OrleansConnect.Tests.Infrastructure;
using static OrleansConnect.Tests.Contract.ContractHttp;

namespace OrleansConnect.Tests.Contract;

/// <summary>Contract §3 rows 3-12 and 15-18, §4.1-4.4 and §4.6: create, replace, patch, read, list, pause, resume,
/// stop and delete, with Connect's status codes, messages, name rules and the asynchronous state sequences.</summary>
[Collection(BrokerCollection.Name)]
public sealed class ConnectorLifecycleContractTests(TestBroker broker, ConnectorLifecycleContractTests.Silo silo)
    : IClassFixture<ConnectorLifecycleContractTests.Silo>, IAsyncLifetime
{
    public sealed class Silo : ContractSilo;

    private HttpClient Client => silo.Client;

    public Task InitializeAsync() => silo.StartAsync(broker);

    public Task DisposeAsync() => Task.CompletedTask;

    private Dictionary<string, string> SinkConfig(string name, int tasks = 1)
    {
        var topic = Unique("topic");
        broker.Broker.CreateTopic(topic, 2);
        return new Dictionary<string, string>
        {
            ["connector.class"] = "FileStreamSink",
            ["topics"] = topic,
            ["tasks.max"] = tasks.ToString(),
            ["file"] = Path.Combine(silo.FilesDir, Guid.NewGuid().ToString("N") + ".txt"),
        };
    }

    [Fact]
    public async Task Create_answers_201_with_the_percent_encoded_location_and_the_trimmed_name()
    {
        var name = "conn & ü " + Guid.NewGuid().ToString("N")[..6];
        var reply = await Client.Post("connectors",
            new JsonObject { ["name"] = "  " + name + "\t", ["config"] = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(SinkConfig(name))) }.ToJsonString());

        AssertStatus(reply, 201);
        Assert.Equal($"http://127.0.0.1:{silo.Process.Port}/connectors/{Uri.EscapeDataString(name)}", reply.Headers.Location?.OriginalString);
        Assert.Equal(name, (string?)reply.Json!["name"]);
        Assert.Equal(name, (string?)reply.Json!["config"]!["name"]);
        Assert.Equal("sink", (string?)reply.Json!["type"]);
        Assert.NotNull(reply.Json!["tasks"] as JsonArray);

        var info = await Client.Get(ConnectorPath(name));
        AssertStatus(info, 200);
        Assert.Equal(["config", "name", "tasks", "type"], info.Object.Select(p => p.Key).Order());
        var config = await Client.Get(ConnectorPath(name, "config"));
        AssertStatus(config, 200);
        Assert.Equal(name, (string?)config.Json!["name"]);
        Assert.Equal("FileStreamSink", (string?)config.Json!["connector.class"]);
    }

    [Fact]
    public async Task Create_refuses_a_mismatched_name_a_duplicate_and_an_unknown_class()
    {
        var name = Unique("dup");
        var config = SinkConfig(name);
        config["name"] = "other";
        AssertError(await Client.Post("connectors", new JsonObject { ["name"] = name, ["config"] = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(config)) }.ToJsonString()),
            400, $"Connector name configuration (other) doesn't match connector name in the URL ({name})");

        config.Remove("name");
        await Client.CreateAsync(name, config);
        AssertError(await Client.Post("connectors", new JsonObject { ["name"] = name, ["config"] = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(config)) }.ToJsonString()),
            409, $"Connector {name} already exists");

        var noClass = await Client.Post("connectors", new JsonObject { ["name"] = Unique("noclass"), ["config"] = new JsonObject { ["topics"] = "t" } }.ToJsonString());
        AssertError(noClass, 400);
        Assert.Matches("^Connector config \\{.*\\} contains no connector type$", (string?)noClass.Json!["message"]);

        // Kafka answers 500 for an unknown class; here it is the client's mistake (docs/rest-api.md).
        var unknown = Unique("unknown");
        var post = await Client.Post("connectors",
            new JsonObject { ["name"] = unknown, ["config"] = new JsonObject { ["connector.class"] = "com.example.Missing", ["topics"] = "t" } }.ToJsonString());
        AssertError(post, 400);
        Assert.StartsWith("Failed to find any class that implements Connector and which name matches com.example.Missing", (string?)post.Json!["message"]);
        AssertError(await Client.Put(ConnectorPath(unknown, "config"), """{"connector.class":"com.example.Missing","topics":"t"}"""), 400);
        AssertError(await Client.Get(ConnectorPath(unknown)), 404, $"Connector {unknown} not found");
    }

    [Theory]
    [InlineData("", "String may not be empty")]
    [InlineData("   ", "String may not be empty")]
    [InlineData("bell\u0007name", "String may not contain control sequences but had the following ASCII chars: 7")]
    public async Task Empty_blank_and_control_character_names_fail_validation(string name, string error)
    {
        var before = (await Client.Get("connectors")).Array.Count;
        var reply = await Client.Post("connectors",
            new JsonObject { ["name"] = name, ["config"] = new JsonObject { ["connector.class"] = "FileStreamSink", ["topics"] = "t" } }.ToJsonString());

        AssertError(reply, 400);
        var message = (string)reply.Json!["message"]!;
        Assert.StartsWith("Connector configuration is invalid and contains the following 1 error(s):\n", message);
        Assert.Contains(error, message);
        Assert.EndsWith("You can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`", message);
        Assert.Equal(before, (await Client.Get("connectors")).Array.Count);
    }

    [Fact]
    public async Task Put_creates_with_201_then_replaces_with_200_and_keeps_the_untrimmed_path_name()
    {
        var name = " padded " + Guid.NewGuid().ToString("N")[..6] + " ";
        var config = SinkConfig(name);
        var body = System.Text.Json.JsonSerializer.Serialize(config);

        var created = await Client.Put(ConnectorPath(name, "config"), body);
        AssertStatus(created, 201);
        Assert.Equal(name, (string?)created.Json!["name"]);
        Assert.EndsWith("/connectors/" + Uri.EscapeDataString(name), created.Headers.Location?.OriginalString);

        config["tasks.max"] = "2";
        var replaced = await Client.Put(ConnectorPath(name, "config"), System.Text.Json.JsonSerializer.Serialize(config));
        AssertStatus(replaced, 200);
        Assert.Null(replaced.Headers.Location);
        Assert.Equal("2", (string?)replaced.Json!["config"]!["tasks.max"]);
        AssertStatus(await Client.Put(ConnectorPath(name, "config"), System.Text.Json.JsonSerializer.Serialize(config)), 200);

        config["name"] = name.Trim();
        AssertError(await Client.Put(ConnectorPath(name, "config"), System.Text.Json.JsonSerializer.Serialize(config)),
            400, $"Connector name configuration ({name.Trim()}) doesn't match connector name in the URL ({name})");
    }

    [Fact]
    public async Task Patch_sets_and_removes_keys_and_answers_200()
    {
        var name = Unique("patch");
        await Client.CreateAsync(name, SinkConfig(name));

        var reply = await Client.Patch(ConnectorPath(name, "config"), """{"tasks.max":"3","file":null,"errors.log.enable":"true"}""");
        AssertStatus(reply, 200);
        var config = reply.Json!["config"]!.AsObject();
        Assert.Equal("3", (string?)config["tasks.max"]);
        Assert.Equal("true", (string?)config["errors.log.enable"]);
        Assert.False(config.ContainsKey("file"));
        Assert.Equal(name, (string?)config["name"]);
        Assert.Equal("3", (string?)(await Client.Get(ConnectorPath(name, "config"))).Json!["tasks.max"]);

        AssertError(await Client.Patch(ConnectorPath(name, "config"), """{"tasks.max":"zero"}"""), 400);
        AssertError(await Client.Patch(ConnectorPath(Unique("missing"), "config"), """{"tasks.max":"2"}"""), 404);
    }

    [Fact]
    public async Task Unknown_connectors_get_Connects_404_messages()
    {
        var name = Unique("ghost");
        AssertError(await Client.Get(ConnectorPath(name)), 404, $"Connector {name} not found");
        AssertError(await Client.Get(ConnectorPath(name, "config")), 404, $"Connector {name} not found");
        AssertError(await Client.Get(ConnectorPath(name, "status")), 404, $"No status found for connector {name}");
        AssertError(await Client.Get(ConnectorPath(name, "tasks")), 404, $"Connector {name} not found");
        AssertError(await Client.Get(ConnectorPath(name, "tasks-config")), 404, $"Connector {name} not found");
        AssertError(await Client.Get(ConnectorPath(name, "tasks/0/status")), 404, $"No status found for task {name}-0");
        AssertError(await Client.Put(ConnectorPath(name, "pause")), 404, $"Unknown connector {name}");
        AssertError(await Client.Put(ConnectorPath(name, "resume")), 404, $"Unknown connector {name}");
        AssertError(await Client.Put(ConnectorPath(name, "stop")), 404, $"Unknown connector {name}");
        AssertError(await Client.Delete(ConnectorPath(name)), 404, $"Connector {name} not found");
    }

    [Fact]
    public async Task List_gives_names_or_the_requested_expansions()
    {
        var name = Unique("listed");
        await Client.CreateAsync(name, SinkConfig(name), initialState: "PAUSED");

        var names = await Client.Get("connectors");
        AssertStatus(names, 200);
        Assert.Contains(name, names.Array.Select(n => (string?)n));

        var both = await Client.Get("connectors?expand=status&expand=info");
        var entry = both.Json![name]!.AsObject();
        Assert.Equal(["info", "status"], entry.Select(p => p.Key).Order());
        Assert.Equal(name, (string?)entry["info"]!["name"]);
        Assert.Equal("PAUSED", (string?)entry["status"]!["connector"]!["state"]);

        var statusOnly = await Client.Get("connectors?expand=status");
        Assert.Equal(["status"], statusOnly.Json![name]!.AsObject().Select(p => p.Key));
        var unknownExpansion = await Client.Get("connectors?expand=everything");
        Assert.Empty(unknownExpansion.Json![name]!.AsObject());
    }

    [Fact]
    public async Task Tasks_and_tasks_config_carry_the_generated_configs()
    {
        var name = Unique("tasks");
        var config = SinkConfig(name, tasks: 2);
        await Client.CreateAsync(name, config);
        await Client.WaitForStateAsync(name, "RUNNING", 2);

        var tasks = await Client.Get(ConnectorPath(name, "tasks"));
        AssertStatus(tasks, 200);
        Assert.Equal(2, tasks.Array.Count);
        for (var i = 0; i < 2; i++)
        {
            var task = tasks.Array[i]!;
            Assert.Equal(name, (string?)task["id"]!["connector"]);
            Assert.Equal(i, (int?)task["id"]!["task"]);
            Assert.Equal("org.apache.kafka.connect.file.FileStreamSinkTask", (string?)task["config"]!["task.class"]);
            Assert.Equal(config["topics"], (string?)task["config"]!["topics"]);
        }

        var tasksConfig = await Client.Get(ConnectorPath(name, "tasks-config"));
        AssertStatus(tasksConfig, 200);
        Assert.Equal([$"{name}-0", $"{name}-1"], tasksConfig.Object.Select(p => p.Key).Order());
        Assert.Equal(config["file"], (string?)tasksConfig.Json![$"{name}-1"]!["file"]);

        var taskStatus = await Client.Get(ConnectorPath(name, "tasks/1/status"));
        AssertStatus(taskStatus, 200);
        Assert.Equal(1, (int?)taskStatus.Json!["id"]);
        Assert.Equal("RUNNING", (string?)taskStatus.Json!["state"]);
        Assert.Equal(silo.Process.WorkerId, (string?)taskStatus.Json!["worker_id"]);
        Assert.False(taskStatus.Object.ContainsKey("trace"));
        AssertError(await Client.Get(ConnectorPath(name, "tasks/2/status")), 404, $"No status found for task {name}-2");

        var status = await Client.Get(ConnectorPath(name, "status"));
        Assert.Equal(["connector", "name", "tasks", "type"], status.Object.Select(p => p.Key).Order());
        Assert.False(status.Json!["connector"]!.AsObject().ContainsKey("trace"));
        Assert.Equal([0, 1], status.Json!["tasks"]!.AsArray().Select(t => (int)t!["id"]!));
    }

    [Theory]
    [InlineData("PAUSED")]
    [InlineData("STOPPED")]
    [InlineData("stopped")]
    public async Task Initial_state_paused_or_stopped_creates_no_tasks_and_resume_starts_them(string initialState)
    {
        var name = Unique("initial");
        var created = await Client.CreateAsync(name, SinkConfig(name, tasks: 2), initialState);
        Assert.Empty(created.Json!["tasks"]!.AsArray());

        var state = initialState.ToUpperInvariant();
        await Client.WaitForStateAsync(name, state, 0);
        Assert.Empty((await Client.Get(ConnectorPath(name))).Json!["tasks"]!.AsArray());
        Assert.Empty((await Client.Get(ConnectorPath(name, "tasks"))).Array);

        AssertStatus(await Client.Put(ConnectorPath(name, "resume")), 202);
        await Client.WaitForStateAsync(name, "RUNNING", 2);
        AssertStatus(await Client.Delete(ConnectorPath(name)), 204);
    }

    [Fact]
    public async Task Stop_is_not_pause_and_reconfiguring_keeps_the_target_state()
    {
        var name = Unique("states");
        await Client.CreateAsync(name, SinkConfig(name, tasks: 2));
        await Client.WaitForStateAsync(name, "RUNNING", 2);

        // Pause keeps the tasks, PAUSED.
        AssertStatus(await Client.Put(ConnectorPath(name, "pause")), 202);
        AssertStatus(await Client.Put(ConnectorPath(name, "pause")), 202);
        await Client.WaitForStateAsync(name, "PAUSED", 2);
        Assert.Equal(2, (await Client.Get(ConnectorPath(name, "tasks"))).Array.Count);

        // Stop removes them.
        var stop = await Client.Put(ConnectorPath(name, "stop"));
        AssertStatus(stop, 204);
        Assert.Equal("", stop.Text);
        AssertStatus(await Client.Put(ConnectorPath(name, "stop")), 204);
        await Client.WaitForStateAsync(name, "STOPPED", 0);
        Assert.Empty((await Client.Get(ConnectorPath(name))).Json!["tasks"]!.AsArray());
        Assert.Empty((await Client.Get(ConnectorPath(name, "tasks"))).Array);
        Assert.Empty((await Client.Get(ConnectorPath(name, "tasks-config"))).Object);

        // A new config leaves it STOPPED.
        AssertStatus(await Client.Patch(ConnectorPath(name, "config"), """{"tasks.max":"1"}"""), 200);
        await Client.WaitForStateAsync(name, "STOPPED", 0);

        // Pausing a stopped connector: PAUSED without tasks; resuming brings the tasks back.
        AssertStatus(await Client.Put(ConnectorPath(name, "pause")), 202);
        await Client.WaitForStateAsync(name, "PAUSED", 0);
        AssertStatus(await Client.Put(ConnectorPath(name, "resume")), 202);
        AssertStatus(await Client.Put(ConnectorPath(name, "resume")), 202);
        await Client.WaitForStateAsync(name, "RUNNING", 1);
    }

    [Fact]
    public async Task Delete_answers_204_and_the_connector_is_gone()
    {
        var name = Unique("deleted");
        await Client.CreateAsync(name, SinkConfig(name));
        await Client.WaitForStateAsync(name, "RUNNING", 1);

        var reply = await Client.Delete(ConnectorPath(name));
        AssertStatus(reply, 204);
        Assert.Equal("", reply.Text);
        await Eventually.Until(async () => (await Client.Get(ConnectorPath(name, "status"))).Status == 404, TimeSpan.FromSeconds(30), "status 404 after delete");
        Assert.DoesNotContain(name, (await Client.Get("connectors")).Array.Select(n => (string?)n));
        var topics = await Client.Get(ConnectorPath(name, "topics"));
        AssertStatus(topics, 200);
        Assert.Empty(topics.Json![name]!["topics"]!.AsArray());
    }
}
