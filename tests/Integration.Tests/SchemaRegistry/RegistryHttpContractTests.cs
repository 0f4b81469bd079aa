using System.Text.Json.Nodes;
using Confluent.Kafka;
using OrleansConnect.Tests.Contract;
using OrleansConnect.Tests.Infrastructure;

namespace OrleansConnect.Tests.SchemaRegistry;

/// <summary>Confluent Schema Registry's REST contract over plain HTTP: bodies, content type, error codes and messages
/// (io.confluent.kafka.schemaregistry.rest.exceptions.Errors), deletes soft and permanent, config and mode, and the
/// _schemas records in Confluent's key and value format.</summary>
[Collection(BrokerCollection.Name)]
public sealed class RegistryHttpContractTests(TestBroker broker, RegistrySilo silo) : IClassFixture<RegistrySilo>, IAsyncLifetime
{
    private const string MediaType = "application/vnd.schemaregistry.v1+json";
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        await silo.StartAsync(broker);
        _http = silo.Http();
    }

    public Task DisposeAsync()
    {
        _http.Dispose();
        return Task.CompletedTask;
    }

    private static string Subject() => "h-" + Guid.NewGuid().ToString("N")[..8];

    private static string Body(string schema) => new JsonObject { ["schema"] = schema }.ToJsonString();

    private static string Record(string name, string fields) => $$"""{"type":"record","name":"{{name}}","fields":[{{fields}}]}""";

    private Task<Reply> Send(HttpMethod method, string path, string? body = null) => _http.SendAsync(method, path, body, body is null ? null : MediaType);

    private static void Error(Reply reply, int status, int code, string message)
    {
        Assert.Equal(status, reply.Status);
        Assert.Equal(MediaType, reply.ContentType);
        Assert.Equal(code, (int)reply.Object["error_code"]!);
        Assert.Equal(message, (string)reply.Object["message"]!);
    }

    [Fact]
    public async Task Reads_answer_in_Confluents_shapes_and_content_type()
    {
        var subject = Subject();
        var schema = Record("A", """{"name":"f","type":"long"}""");
        var registered = await Send(HttpMethod.Post, $"subjects/{subject}/versions", Body(schema));
        Assert.Equal(200, registered.Status);
        Assert.Equal(MediaType, registered.ContentType);
        var id = (int)registered.Object["id"]!;

        var version = (await Send(HttpMethod.Get, $"subjects/{subject}/versions/latest")).Object;
        Assert.Equal(subject, (string)version["subject"]!);
        Assert.Equal(1, (int)version["version"]!);
        Assert.Equal(id, (int)version["id"]!);
        Assert.False(version.ContainsKey("schemaType")); // Avro is the default Confluent leaves out
        Assert.Equal(JsonNode.Parse(schema)!.ToJsonString(), JsonNode.Parse((string)version["schema"]!)!.ToJsonString());
        Assert.Equal(version.ToJsonString(), (await Send(HttpMethod.Get, $"subjects/{subject}/versions/1")).Object.ToJsonString());
        Assert.Equal(version.ToJsonString(), (await Send(HttpMethod.Get, $"subjects/{subject}/versions/-1")).Object.ToJsonString());

        // .../schema and /schemas/ids/{id}/schema: the schema document itself.
        var raw = await Send(HttpMethod.Get, $"subjects/{subject}/versions/1/schema");
        Assert.Equal("record", (string)raw.Object["type"]!);
        Assert.Equal(raw.Text, (await Send(HttpMethod.Get, $"schemas/ids/{id}/schema")).Text);
        Assert.Equal((string)version["schema"]!, (string)(await Send(HttpMethod.Get, $"schemas/ids/{id}")).Object["schema"]!);
        Assert.Equal($"[\"{subject}\"]", (await Send(HttpMethod.Get, $"schemas/ids/{id}/subjects")).Text);
        Assert.Equal($"[{{\"subject\":\"{subject}\",\"version\":1}}]", (await Send(HttpMethod.Get, $"schemas/ids/{id}/versions")).Text);
        Assert.Equal("[1]", (await Send(HttpMethod.Get, $"subjects/{subject}/versions")).Text);
        Assert.Equal("[\"AVRO\"]", (await Send(HttpMethod.Get, "schemas/types")).Text);

        var lookup = (await Send(HttpMethod.Post, $"subjects/{subject}", Body(schema))).Object;
        Assert.Equal((1, id), ((int)lookup["version"]!, (int)lookup["id"]!));
        Assert.Contains(subject, (await Send(HttpMethod.Get, "subjects")).Array.Select(s => (string)s!));
        Assert.DoesNotContain(subject, (await Send(HttpMethod.Get, "subjects?subjectPrefix=zz-")).Array.Select(s => (string)s!));
    }

    [Fact]
    public async Task Errors_carry_Confluents_codes_and_messages()
    {
        var subject = Subject();
        Error(await Send(HttpMethod.Get, $"subjects/{subject}/versions"), 404, 40401, $"Subject '{subject}' not found.");
        Error(await Send(HttpMethod.Get, $"subjects/{subject}/versions/latest"), 404, 40401, $"Subject '{subject}' not found.");
        Error(await Send(HttpMethod.Get, "schemas/ids/987654"), 404, 40403, "Schema 987654 not found");
        Error(await Send(HttpMethod.Get, $"subjects/{subject}/versions/0"), 422, 42202,
            "The specified version '0' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"");
        Error(await Send(HttpMethod.Get, "no/such/path"), 404, 404, "HTTP 404 Not Found");

        await Send(HttpMethod.Post, $"subjects/{subject}/versions", Body(Record("B", """{"name":"f","type":"int"}""")));
        Error(await Send(HttpMethod.Get, $"subjects/{subject}/versions/9"), 404, 40402, "Version 9 not found.");
        Error(await Send(HttpMethod.Post, $"subjects/{subject}", Body(Record("B", """{"name":"g","type":"int"}"""))), 404, 40403, "Schema not found");

        var invalid = await Send(HttpMethod.Post, $"subjects/{subject}/versions", Body("""{"type":"record","name":"B","fields":[{"name":"f"}]}"""));
        Assert.Equal((422, 42201), (invalid.Status, (int)invalid.Object["error_code"]!));
        Assert.StartsWith("Invalid schema", (string)invalid.Object["message"]!);
        var notJson = await Send(HttpMethod.Post, $"subjects/{subject}/versions", Body("{not json"));
        Assert.Equal((422, 42201), (notJson.Status, (int)notJson.Object["error_code"]!));
        Assert.Equal(42201, (int)(await Send(HttpMethod.Post, $"subjects/{subject}/versions", """{"schema":"\"int\"","schemaType":"PROTOBUF"}""")).Object["error_code"]!);

        var incompatible = await Send(HttpMethod.Post, $"subjects/{subject}/versions", Body(Record("B", """{"name":"f","type":"string"}""")));
        Assert.Equal((409, 40901), (incompatible.Status, (int)incompatible.Object["error_code"]!));
        Assert.StartsWith($"Schema being registered is incompatible with an earlier schema for subject \"{subject}\", details: [", (string)incompatible.Object["message"]!);

        Error(await Send(HttpMethod.Put, "config/" + subject, """{"compatibility":"SIDEWAYS"}"""), 422, 42203,
            "Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive");
        Assert.Equal(42204, (int)(await Send(HttpMethod.Put, "mode/" + subject, """{"mode":"SOMETIMES"}""")).Object["error_code"]!);
        Error(await Send(HttpMethod.Get, "config/" + subject), 404, 40408, $"Subject '{subject}' does not have subject-level compatibility configured");
        Error(await Send(HttpMethod.Get, "mode/" + subject), 404, 40409, $"Subject '{subject}' does not have subject-level mode configured");
        var badBody = await Send(HttpMethod.Post, $"subjects/{subject}/versions", "{\"schema\":");
        Assert.Equal(400, badBody.Status);
        Assert.Equal(MediaType, badBody.ContentType);
    }

    [Fact]
    public async Task Deletes_are_soft_first_then_permanent()
    {
        var subject = Subject();
        var v1 = Record("C", """{"name":"a","type":"int"}""");
        var v2 = Record("C", """{"name":"a","type":"int"},{"name":"b","type":"int","default":0}""");
        var id1 = (int)(await Send(HttpMethod.Post, $"subjects/{subject}/versions", Body(v1))).Object["id"]!;
        await Send(HttpMethod.Post, $"subjects/{subject}/versions", Body(v2));

        Error(await Send(HttpMethod.Delete, $"subjects/{subject}/versions/1?permanent=true"), 404, 40407,
            $"Subject '{subject}' Version 1 was not deleted first before being permanently deleted");
        Assert.Equal("1", (await Send(HttpMethod.Delete, $"subjects/{subject}/versions/1")).Text);
        Error(await Send(HttpMethod.Delete, $"subjects/{subject}/versions/1"), 404, 40406,
            $"Subject '{subject}' Version 1 was soft deleted.Set permanent=true to delete permanently");
        Assert.Equal("[2]", (await Send(HttpMethod.Get, $"subjects/{subject}/versions")).Text);
        Assert.Equal("[1,2]", (await Send(HttpMethod.Get, $"subjects/{subject}/versions?deleted=true")).Text);
        Error(await Send(HttpMethod.Get, $"subjects/{subject}/versions/1"), 404, 40402, "Version 1 not found.");
        Assert.True((bool)(await Send(HttpMethod.Get, $"subjects/{subject}/versions/1?deleted=true")).Object["deleted"]!);
        // An id stays readable while a soft-deleted version holds it.
        Assert.Equal(200, (await Send(HttpMethod.Get, $"schemas/ids/{id1}")).Status);

        Error(await Send(HttpMethod.Delete, $"subjects/{subject}?permanent=true"), 404, 40405,
            $"Subject '{subject}' was not deleted first before being permanently deleted");
        Assert.Equal("[2]", (await Send(HttpMethod.Delete, $"subjects/{subject}")).Text);
        Error(await Send(HttpMethod.Delete, $"subjects/{subject}"), 404, 40404,
            $"Subject '{subject}' was soft deleted.Set permanent=true to delete permanently");
        Assert.DoesNotContain(subject, (await Send(HttpMethod.Get, "subjects")).Array.Select(s => (string)s!));
        Assert.Contains(subject, (await Send(HttpMethod.Get, "subjects?deleted=true")).Array.Select(s => (string)s!));

        // Registering again after a soft delete continues the numbering and reuses the schema's id.
        var again = (await Send(HttpMethod.Post, $"subjects/{subject}/versions", Body(v1))).Object;
        Assert.Equal((id1, 3), ((int)again["id"]!, (int)again["version"]!));
        await Send(HttpMethod.Delete, $"subjects/{subject}");

        Assert.Equal("[1,2,3]", (await Send(HttpMethod.Delete, $"subjects/{subject}?permanent=true")).Text);
        Error(await Send(HttpMethod.Get, $"subjects/{subject}/versions?deleted=true"), 404, 40401, $"Subject '{subject}' not found.");
        Error(await Send(HttpMethod.Get, $"schemas/ids/{id1}"), 404, 40403, $"Schema {id1} not found");
    }

    [Fact]
    public async Task Config_mode_and_compatibility_checks()
    {
        var subject = Subject();
        Assert.Equal("""{"compatibilityLevel":"BACKWARD"}""", (await Send(HttpMethod.Get, "config")).Text);
        Assert.Equal("""{"compatibility":"FULL_TRANSITIVE"}""", (await Send(HttpMethod.Put, "config/" + subject, """{"compatibility":"full_transitive"}""")).Text);
        Assert.Equal("""{"compatibilityLevel":"FULL_TRANSITIVE"}""", (await Send(HttpMethod.Get, "config/" + subject)).Text);

        // FULL_TRANSITIVE: every version is checked both ways, not only the latest.
        await Send(HttpMethod.Post, $"subjects/{subject}/versions", Body(Record("D", """{"name":"a","type":"int"}""")));
        await Send(HttpMethod.Post, $"subjects/{subject}/versions", Body(Record("D", """{"name":"a","type":"int","default":1}""")));
        var dropsA = Body(Record("D", """{"name":"z","type":"int","default":0}"""));
        var latest = (await Send(HttpMethod.Post, $"compatibility/subjects/{subject}/versions/latest", dropsA)).Object;
        Assert.True((bool)latest["is_compatible"]!); // the latest has a default for a
        var all = (await Send(HttpMethod.Post, $"compatibility/subjects/{subject}/versions?verbose=true", dropsA)).Object;
        Assert.False((bool)all["is_compatible"]!); // version 1 has none
        Assert.Contains(all["messages"]!.AsArray(), m => ((string)m!).Contains("'a'", StringComparison.Ordinal));
        Assert.False((await Send(HttpMethod.Post, $"compatibility/subjects/{subject}/versions/1", dropsA)).Object.ContainsKey("messages"));
        Assert.False((bool)(await Send(HttpMethod.Post, $"compatibility/subjects/{subject}/versions/1", dropsA)).Object["is_compatible"]!);
        Assert.Equal(40901, (int)(await Send(HttpMethod.Post, $"subjects/{subject}/versions", dropsA)).Object["error_code"]!);
        Assert.True((bool)(await Send(HttpMethod.Post, $"compatibility/subjects/{Subject()}/versions/latest", dropsA)).Object["is_compatible"]!);

        Assert.Equal("""{"compatibilityLevel":"FULL_TRANSITIVE"}""", (await Send(HttpMethod.Delete, "config/" + subject)).Text);
        Assert.Equal("""{"compatibilityLevel":"BACKWARD"}""", (await Send(HttpMethod.Get, $"config/{subject}?defaultToGlobal=true")).Text);

        Assert.Equal("""{"mode":"READWRITE"}""", (await Send(HttpMethod.Get, "mode")).Text);
        Assert.Equal("""{"mode":"READONLY"}""", (await Send(HttpMethod.Put, "mode/" + subject, """{"mode":"READONLY"}""")).Text);
        var readOnly = await Send(HttpMethod.Post, $"subjects/{subject}/versions", Body(Record("D", """{"name":"a","type":"int","default":1},{"name":"b","type":"int","default":1}""")));
        Assert.Equal((422, 42205), (readOnly.Status, (int)readOnly.Object["error_code"]!));
        Assert.Equal("""{"mode":"READONLY"}""", (await Send(HttpMethod.Delete, "mode/" + subject)).Text);
        Assert.Equal(200, (await Send(HttpMethod.Post, $"subjects/{subject}/versions", Body(Record("D", """{"name":"a","type":"int","default":1},{"name":"b","type":"int","default":1}""")))).Status);
        // Importing needs an empty registry.
        Assert.Equal(42205, (int)(await Send(HttpMethod.Put, "mode", """{"mode":"IMPORT"}""")).Object["error_code"]!);
    }

    [Fact]
    public async Task The_schemas_topic_holds_Confluents_keys_and_values()
    {
        var subject = Subject();
        var id = (int)(await Send(HttpMethod.Post, $"subjects/{subject}/versions", Body("\"string\""))).Object["id"]!;
        await Send(HttpMethod.Put, "config/" + subject, """{"compatibility":"NONE"}""");
        await Send(HttpMethod.Delete, $"subjects/{subject}");

        using var consumer = new ConsumerBuilder<string?, string?>(new ConsumerConfig { BootstrapServers = broker.BootstrapServers, GroupId = "schemas-reader" }).Build();
        consumer.Assign(new TopicPartitionOffset(silo.Topic, 0, Offset.Beginning));
        var records = new List<(string? Key, string? Value)>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline && !records.Any(r => r.Key == $$"""{"keytype":"CONFIG","subject":"{{subject}}","magic":0}""" && r.Value is null))
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { } r) records.Add((r.Message.Key, r.Message.Value));
        var mine = records.Where(r => r.Key?.Contains($"\"{subject}\"", StringComparison.Ordinal) == true).ToList();

        Assert.Equal(
        [
            ($$"""{"keytype":"SCHEMA","subject":"{{subject}}","version":1,"magic":1}""",
                $$"""{"subject":"{{subject}}","version":1,"id":{{id}},"schema":"{\"type\":\"string\"}","deleted":false}"""),
            ($$"""{"keytype":"CONFIG","subject":"{{subject}}","magic":0}""", $$"""{"subject":"{{subject}}","compatibilityLevel":"NONE"}"""),
            ($$"""{"keytype":"DELETE_SUBJECT","subject":"{{subject}}","magic":0}""", $$"""{"subject":"{{subject}}","version":1}"""),
            // A deleted subject takes its own level with it (a tombstone).
            ($$"""{"keytype":"CONFIG","subject":"{{subject}}","magic":0}""", null),
        ], mine);
    }
}
