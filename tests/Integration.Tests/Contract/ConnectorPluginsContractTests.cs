using System.Text.Json;
using System.Text.Json.Nodes;
using OrleansConnect.Tests.Infrastructure;
using static OrleansConnect.Tests.Contract.ContractHttp;

namespace OrleansConnect.Tests.Contract;

/// <summary>Contract §3 rows 24-26, §6 and §7: plugin listing, plugin config definitions, and validation with the
/// framework groups, client overrides under the worker's policy (Principal here), topic creation groups and the
/// distributed herder's checks. Validation errors are inside a 200 body.</summary>
[Collection(BrokerCollection.Name)]
public sealed class ConnectorPluginsContractTests(TestBroker broker, ConnectorPluginsContractTests.Silo silo)
    : IClassFixture<ConnectorPluginsContractTests.Silo>, IAsyncLifetime
{
    public sealed class Silo : ContractSilo
    {
        protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
        {
            ["connector.client.config.override.policy"] = "Principal",
            ["group.id"] = "connect-clash",
        };
    }

    private const string SourceClass = "org.apache.kafka.connect.file.FileStreamSourceConnector";
    private const string SinkClass = "org.apache.kafka.connect.file.FileStreamSinkConnector";

    private HttpClient Client => silo.Client;

    public Task InitializeAsync() => silo.StartAsync(broker);

    public Task DisposeAsync() => Task.CompletedTask;

    private Task<Reply> ValidateAsync(string plugin, object config) =>
        Client.Put($"connector-plugins/{Uri.EscapeDataString(plugin)}/config/validate", JsonSerializer.Serialize(config));

    private static JsonObject? Entry(Reply reply, string name) =>
        reply.Json!["configs"]!.AsArray().Select(c => c!.AsObject())
            .FirstOrDefault(c => (string?)c["value"]?["name"] == name || (string?)c["definition"]?["name"] == name);

    private static List<string> Errors(Reply reply, string name) =>
        Entry(reply, name)?["value"]?["errors"]?.AsArray().Select(e => (string)e!).ToList() ?? [];

    [Fact]
    public async Task Connector_plugins_lists_connectors_by_default_and_all_six_types_on_request()
    {
        var connectors = await Client.Get("connector-plugins");
        AssertStatus(connectors, 200);
        Assert.Equal([(SinkClass, "sink"), (SourceClass, "source")],
            connectors.Array.Select(p => ((string)p!["class"]!, (string)p["type"]!)).Where(p => p.Item1.StartsWith("org.apache.kafka.connect.file.")));
        Assert.All(connectors.Array, p => Assert.Contains((string?)p!["type"], new[] { "sink", "source" }));
        Assert.False(string.IsNullOrEmpty((string?)connectors.Array[0]!["version"]));

        var all = await Client.Get("connector-plugins?connectorsOnly=false");
        AssertStatus(all, 200);
        var types = all.Array.Select(p => (string)p!["type"]!).ToList();
        // Grouped in Connect's order: sinks, sources, transformations, predicates, converters, header converters.
        Assert.Equal(["sink", "source", "transformation", "predicate", "converter", "header_converter"], types.Distinct());
        var classes = all.Array.Select(p => ((string)p!["class"]!, (string)p["type"]!)).ToHashSet();
        Assert.Contains(("org.apache.kafka.connect.json.JsonConverter", "converter"), classes);
        Assert.Contains(("org.apache.kafka.connect.storage.StringConverter", "converter"), classes);
        Assert.Contains(("org.apache.kafka.connect.storage.SimpleHeaderConverter", "header_converter"), classes);
        Assert.Contains(("org.apache.kafka.connect.transforms.InsertField$Value", "transformation"), classes);
        Assert.Contains(("org.apache.kafka.connect.transforms.predicates.TopicNameMatches", "predicate"), classes);
        Assert.Contains(("io.debezium.transforms.ExtractNewRecordState", "transformation"), classes);
        Assert.Equal(connectors.Array.Count, (await Client.Get("connector-plugins?connectorsOnly=true")).Array.Count);
    }

    [Theory]
    [InlineData("FileStreamSource")]
    [InlineData("FileStreamSourceConnector")]
    [InlineData(SourceClass)]
    public async Task Plugin_config_lists_the_connectors_keys_then_the_framework_keys(string plugin)
    {
        var reply = await Client.Get($"connector-plugins/{Uri.EscapeDataString(plugin)}/config");
        AssertStatus(reply, 200);
        var names = reply.Array.Select(k => (string)k!["name"]!).ToList();
        Assert.Equal(["file", "topic", "batch.size"], names.Take(3));
        Assert.Equal(["name", "connector.class", "tasks.max"], names.Skip(3).Take(3));
        Assert.Contains("topic.creation.groups", names);
        Assert.Contains("exactly.once.support", names);
        Assert.Equal(names.Count, names.Distinct().Count());

        var topic = reply.Array.First(k => (string?)k!["name"] == "topic")!.AsObject();
        Assert.Equal(["default_value", "dependents", "display_name", "documentation", "group", "importance", "name", "order", "required", "type", "width"],
            topic.Select(p => p.Key).Order());
        Assert.True((bool?)topic["required"]);
        Assert.Null(topic["default_value"]);
        Assert.Null(topic["group"]);
        Assert.Equal(-1, (int?)topic["order"]);
        Assert.Equal("NONE", (string?)topic["width"]);
        Assert.Equal("STRING", (string?)topic["type"]);
        var tasksMax = reply.Array.First(k => (string?)k!["name"] == "tasks.max")!;
        Assert.Equal("Common", (string?)tasksMax["group"]);
        Assert.Equal("1", (string?)tasksMax["default_value"]);
    }

    [Fact]
    public async Task Plugin_config_works_for_converters_and_transformations_and_unknown_plugins_are_404()
    {
        var converter = await Client.Get("connector-plugins/org.apache.kafka.connect.json.JsonConverter/config");
        AssertStatus(converter, 200);
        var names = converter.Array.Select(k => (string)k!["name"]!).ToList();
        Assert.Contains("schemas.enable", names);
        Assert.DoesNotContain("connector.class", names);

        var transform = await Client.Get("connector-plugins/" + Uri.EscapeDataString("org.apache.kafka.connect.transforms.InsertField$Value") + "/config");
        AssertStatus(transform, 200);

        var unwrap = await Client.Get("connector-plugins/io.debezium.transforms.ExtractNewRecordState/config");
        AssertStatus(unwrap, 200);
        var mode = unwrap.Array.First(k => (string?)k!["name"] == "delete.tombstone.handling.mode")!;
        Assert.Equal("tombstone", (string?)mode["default_value"]);
        Assert.Contains("add.fields", unwrap.Array.Select(k => (string?)k!["name"]));

        AssertError(await Client.Get("connector-plugins/com.example.Nothing/config"), 404, "Unknown plugin com.example.Nothing.");
    }

    [Fact]
    public async Task Validate_answers_200_with_the_framework_groups_and_the_class_as_given()
    {
        var sink = await ValidateAsync("FileStreamSink",
            new Dictionary<string, string> { ["name"] = "valid-sink", ["connector.class"] = "FileStreamSink", ["topics"] = "t" });
        AssertStatus(sink, 200);
        Assert.Equal(["configs", "error_count", "groups", "name"], sink.Object.Select(p => p.Key).Order());
        Assert.Equal("FileStreamSink", (string?)sink.Json!["name"]);
        Assert.Equal(0, (int?)sink.Json!["error_count"]);
        var groups = sink.Json!["groups"]!.AsArray().Select(g => (string)g!).ToList();
        Assert.Equal(["Common", "Transforms", "Predicates", "Error Handling"], groups.Take(4));
        var first = sink.Json!["configs"]!.AsArray()[0]!.AsObject();
        Assert.Equal(["definition", "value"], first.Select(p => p.Key).Order());
        Assert.Equal(["errors", "name", "recommended_values", "value", "visible"], first["value"]!.AsObject().Select(p => p.Key).Order());
        // Framework keys come before the connector's own.
        var names = sink.Json!["configs"]!.AsArray().Select(c => (string)c!["definition"]!["name"]!).ToList();
        Assert.True(names.IndexOf("name") < names.IndexOf("file"));

        var source = await ValidateAsync("FileStreamSource", new Dictionary<string, string>
        {
            ["name"] = "valid-source", ["connector.class"] = SourceClass, ["topic"] = "t",
        });
        AssertStatus(source, 200);
        Assert.Equal(SourceClass, (string?)source.Json!["name"]);
        Assert.Equal(0, (int?)source.Json!["error_count"]);
        var sourceGroups = source.Json!["groups"]!.AsArray().Select(g => (string)g!).ToList();
        Assert.Contains("Topic Creation", sourceGroups);
        Assert.Contains("Exactly Once Support", sourceGroups);
    }

    [Fact]
    public async Task Validate_reports_missing_name_sink_topic_rules_and_nulls_inside_the_body()
    {
        var noName = await ValidateAsync("FileStreamSink", new Dictionary<string, string> { ["connector.class"] = "FileStreamSink", ["topics"] = "t" });
        AssertStatus(noName, 200);
        Assert.Equal(1, (int?)noName.Json!["error_count"]);
        Assert.Equal(["Missing required configuration \"name\" which has no default value."], Errors(noName, "name"));

        var neither = await ValidateAsync("FileStreamSink", new Dictionary<string, string> { ["name"] = "n", ["connector.class"] = "FileStreamSink" });
        Assert.Equal(2, (int?)neither.Json!["error_count"]);
        Assert.Equal(["Must configure one of topics or topics.regex"], Errors(neither, "topics"));
        Assert.Equal(["Must configure one of topics or topics.regex"], Errors(neither, "topics.regex"));

        var both = await ValidateAsync("FileStreamSink", new Dictionary<string, string>
        {
            ["name"] = "n", ["connector.class"] = "FileStreamSink", ["topics"] = "t", ["topics.regex"] = "t.*",
        });
        Assert.Equal(2, (int?)both.Json!["error_count"]);

        var dlq = await ValidateAsync("FileStreamSink", new Dictionary<string, string>
        {
            ["name"] = "n", ["connector.class"] = "FileStreamSink", ["topics"] = "a,dlq", ["errors.deadletterqueue.topic.name"] = "dlq",
        });
        Assert.Single(Errors(dlq, "topics"));

        var nulls = await Client.Put("connector-plugins/FileStreamSink/config/validate",
            """{"name":"n","connector.class":"FileStreamSink","topics":"t","tasks.max":null,"no.such.key":null}""");
        AssertStatus(nulls, 200);
        // tasks.max: its range validator refuses null too, as in Kafka.
        Assert.Equal(3, (int?)nulls.Json!["error_count"]);
        Assert.Equal(["Invalid value null for configuration tasks.max: Value must be non-null", "Null value can not be supplied as the configuration value."],
            Errors(nulls, "tasks.max"));
        var undefined = Entry(nulls, "no.such.key")!;
        Assert.Null(undefined["definition"]);
        Assert.Equal(["Null value can not be supplied as the configuration value."], Errors(nulls, "no.such.key"));
    }

    [Fact]
    public async Task Duplicate_transform_or_predicate_aliases_are_refused_by_validate_and_create()
    {
        // Kafka's ConnectorConfig.aliasValidator: ConfigException(name, value, "Duplicate alias provided.")
        // (connect/runtime/src/main/java/org/apache/kafka/connect/runtime/ConnectorConfig.java).
        const string transformsMessage = "Invalid value [t, t] for configuration transforms: Duplicate alias provided.";
        const string predicatesMessage = "Invalid value [p, q, p] for configuration predicates: Duplicate alias provided.";
        Dictionary<string, string> Config(string name) => new()
        {
            ["name"] = name, ["connector.class"] = "FileStreamSink", ["topics"] = "t",
            ["transforms"] = "t,t", ["transforms.t.type"] = "org.apache.kafka.connect.transforms.Filter",
            ["predicates"] = "p, q,p",
            ["predicates.p.type"] = "org.apache.kafka.connect.transforms.predicates.HasHeaderKey", ["predicates.p.name"] = "h",
            ["predicates.q.type"] = "org.apache.kafka.connect.transforms.predicates.HasHeaderKey", ["predicates.q.name"] = "h",
        };

        var validate = await ValidateAsync("FileStreamSink", Config("dup"));
        AssertStatus(validate, 200);
        Assert.Equal(2, (int?)validate.Json!["error_count"]);
        Assert.Equal([transformsMessage], Errors(validate, "transforms"));
        Assert.Equal([predicatesMessage], Errors(validate, "predicates"));

        var name = Unique("dup");
        var create = await Client.Post("connectors", JsonSerializer.Serialize(new { name, config = Config(name) }));
        AssertError(create, 400, $"Connector configuration is invalid and contains the following 2 error(s):\n{transformsMessage}\n{predicatesMessage}\n" +
            "You can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`");
        AssertError(await Client.Get(ConnectorPath(name)), 404);

        var put = await Client.Put(ConnectorPath(name, "config"), JsonSerializer.Serialize(Config(name)));
        AssertError(put, 400);
        Assert.Contains(transformsMessage, (string?)put.Json!["message"]);
        AssertError(await Client.Get(ConnectorPath(name)), 404);

        // One alias once each is fine.
        var single = Config("single");
        single["transforms"] = "t";
        single["predicates"] = "p,q";
        Assert.Equal(0, (int?)(await ValidateAsync("FileStreamSink", single)).Json!["error_count"]);
    }

    [Fact]
    public async Task Validate_refuses_a_mismatched_plugin_and_a_config_without_a_known_class_with_400()
    {
        AssertError(await ValidateAsync("FileStreamSource", new Dictionary<string, string> { ["connector.class"] = "FileStreamSink" }),
            400, "Included connector type FileStreamSink does not match request type FileStreamSource");
        AssertError(await ValidateAsync(SinkClass, new Dictionary<string, string> { ["connector.class"] = "FileStreamSink" }),
            400, $"Included connector type FileStreamSink does not match request type {SinkClass}");
        AssertStatus(await ValidateAsync("FileStreamSink", new Dictionary<string, string> { ["connector.class"] = SinkClass, ["topics"] = "t" }), 200);

        // Kafka answers 500 for these (contract §7); they are the client's mistakes (docs/rest-api.md).
        var noClass = await ValidateAsync("FileStreamSink", new Dictionary<string, string> { ["topics"] = "t" });
        AssertError(noClass, 400);
        Assert.EndsWith("contains no connector type", (string?)noClass.Json!["message"]);
        AssertError(await ValidateAsync("Missing", new Dictionary<string, string> { ["connector.class"] = "Missing" }), 400);
    }

    [Fact]
    public async Task Client_overrides_are_validated_against_the_workers_policy()
    {
        var source = await ValidateAsync("FileStreamSource", new Dictionary<string, string>
        {
            ["name"] = "overrides", ["connector.class"] = "FileStreamSource", ["topic"] = "t",
            ["producer.override.acks"] = "all",
            ["producer.override.security.protocol"] = "PLAINTEXT",
            ["consumer.override.max.poll.records"] = "10", // a source has no consumer: not validated
        });
        AssertStatus(source, 200);
        Assert.Equal(1, (int?)source.Json!["error_count"]);
        Assert.Equal(["The 'Principal' policy does not allow 'acks' to be overridden in the connector configuration."],
            Errors(source, "producer.override.acks"));
        Assert.Empty(Errors(source, "producer.override.security.protocol"));
        Assert.Equal("PLAINTEXT", (string?)Entry(source, "producer.override.security.protocol")!["value"]!["value"]);
        Assert.Null(Entry(source, "consumer.override.max.poll.records"));

        var sink = await ValidateAsync("FileStreamSink", new Dictionary<string, string>
        {
            ["name"] = "overrides", ["connector.class"] = "FileStreamSink", ["topics"] = "t",
            ["consumer.override.max.poll.records"] = "10", ["consumer.override.fetch.min.bytes"] = "1",
        });
        Assert.Equal(2, (int?)sink.Json!["error_count"]);

        var name = Unique("refused");
        var create = await Client.Post("connectors", new JsonObject
        {
            ["name"] = name,
            ["config"] = new JsonObject { ["connector.class"] = "FileStreamSource", ["topic"] = "t", ["producer.override.linger.ms"] = "5" },
        }.ToJsonString());
        AssertError(create, 400);
        Assert.Contains("The 'Principal' policy does not allow 'linger.ms' to be overridden in the connector configuration.", (string?)create.Json!["message"]);
        AssertError(await Client.Get(ConnectorPath(name)), 404);
    }

    [Fact]
    public async Task Topic_creation_groups_are_validated_for_sources()
    {
        var missing = await ValidateAsync("FileStreamSource", new Dictionary<string, string>
        {
            ["name"] = "tc", ["connector.class"] = "FileStreamSource", ["topic"] = "t", ["topic.creation.default.partitions"] = "3",
        });
        AssertStatus(missing, 200);
        Assert.Equal(1, (int?)missing.Json!["error_count"]);
        Assert.Equal(["Missing required configuration \"topic.creation.default.replication.factor\" which has no default value."],
            Errors(missing, "topic.creation.default.replication.factor"));
        Assert.Contains("Topic Creation: default", missing.Json!["groups"]!.AsArray().Select(g => (string?)g));

        var groups = await ValidateAsync("FileStreamSource", new Dictionary<string, string>
        {
            ["name"] = "tc", ["connector.class"] = "FileStreamSource", ["topic"] = "t",
            ["topic.creation.default.replication.factor"] = "1", ["topic.creation.default.partitions"] = "3",
            ["topic.creation.groups"] = "compacted",
            ["topic.creation.compacted.include"] = "orders.*,[unclosed",
            ["topic.creation.compacted.partitions"] = "0",
        });
        Assert.Equal(2, (int?)groups.Json!["error_count"]);
        Assert.Single(Errors(groups, "topic.creation.compacted.include"));
        Assert.StartsWith("Invalid value", Errors(groups, "topic.creation.compacted.include")[0]);
        Assert.Contains("Number of partitions must be positive, or -1 to use the broker's default", Errors(groups, "topic.creation.compacted.partitions")[0]);
        Assert.Equal("1", (string?)Entry(groups, "topic.creation.compacted.replication.factor")!["definition"]!["default_value"]);
        Assert.Contains("Topic Creation: compacted", groups.Json!["groups"]!.AsArray().Select(g => (string?)g));
    }

    [Fact]
    public async Task Validate_applies_the_distributed_herders_checks()
    {
        var exactlyOnce = await ValidateAsync("FileStreamSource", new Dictionary<string, string>
        {
            ["name"] = "eos", ["connector.class"] = "FileStreamSource", ["topic"] = "t", ["exactly.once.support"] = "required",
        });
        Assert.Contains("This worker does not have exactly-once source support enabled.", Errors(exactlyOnce, "exactly.once.support"));

        // This silo's group.id is connect-clash: a sink named clash would share its consumer group.
        var clash = await ValidateAsync("FileStreamSink", new Dictionary<string, string>
        {
            ["name"] = "clash", ["connector.class"] = "FileStreamSink", ["topics"] = "t",
        });
        Assert.Equal(["Consumer group for sink connector named clash conflicts with Connect worker group connect-clash"], Errors(clash, "name"));

        var transforms = await ValidateAsync("FileStreamSink", new Dictionary<string, string>
        {
            ["name"] = "smt", ["connector.class"] = "FileStreamSink", ["topics"] = "t",
            ["transforms"] = "add,bad", ["transforms.add.type"] = "org.apache.kafka.connect.transforms.InsertField$Value",
            ["transforms.add.static.field"] = "f", ["transforms.add.static.value"] = "v",
            ["transforms.bad.type"] = "com.example.NoSuchTransform",
        });
        Assert.Contains("Transforms: add", transforms.Json!["groups"]!.AsArray().Select(g => (string?)g));
        Assert.Contains("Class com.example.NoSuchTransform could not be found.", string.Join("\n", Errors(transforms, "transforms.bad.type")));
        Assert.NotNull(Entry(transforms, "transforms.add.static.field"));
    }
}
