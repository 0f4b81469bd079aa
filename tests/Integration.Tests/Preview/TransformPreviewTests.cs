using System.Net;
using System.Text.Json.Nodes;
using OrleansConnect.Tests.ErrorHandling;
using OrleansConnect.Tests.Infrastructure;

namespace OrleansConnect.Tests.Preview;

/// <summary>POST /transforms/preview on a real silo: chains of Kafka's SMTs and predicates on schemaless and
/// schema records, drops, per-record errors and invalid configs.</summary>
public sealed class TransformPreviewTests(SiloWithBroker fixture) : IClassFixture<SiloWithBroker>
{
    private async Task<(HttpStatusCode Status, JsonNode? Body)> PreviewAsync(JsonObject config, JsonArray records) =>
        await fixture.Silo.Client.SendAsync(HttpMethod.Post, "transforms/preview",
            new JsonObject { ["config"] = config, ["records"] = records }.ToJsonString());

    private static JsonArray Outputs(JsonNode? body) => body!["records"]!.AsArray();

    private static void AssertJson(string expected, JsonNode? actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), $"expected {expected}, got {actual?.ToJsonString() ?? "null"}");

    [Fact]
    public async Task A_chain_with_a_predicate_transforms_schemaless_source_records()
    {
        var config = new JsonObject
        {
            ["key.converter"] = "org.apache.kafka.connect.storage.StringConverter",
            ["value.converter"] = "org.apache.kafka.connect.json.JsonConverter",
            ["value.converter.schemas.enable"] = "false",
            ["transforms"] = "insert, mask, route",
            ["transforms.insert.type"] = "org.apache.kafka.connect.transforms.InsertField$Value",
            ["transforms.insert.static.field"] = "origin",
            ["transforms.insert.static.value"] = "preview",
            ["transforms.mask.type"] = "org.apache.kafka.connect.transforms.MaskField$Value",
            ["transforms.mask.fields"] = "ssn",
            ["transforms.route.type"] = "org.apache.kafka.connect.transforms.RegexRouter",
            ["transforms.route.regex"] = "orders-(.*)",
            ["transforms.route.replacement"] = "$1-orders",
            ["transforms.route.predicate"] = "isOrders",
            ["predicates"] = "isOrders",
            ["predicates.isOrders.type"] = "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
            ["predicates.isOrders.pattern"] = "orders-.*",
        };
        var records = new JsonArray
        {
            JsonNode.Parse("""{"topic": "orders-eu", "partition": null, "timestamp": 1700000000000, "key": "k1", "value": {"id": 1, "ssn": "123-45"}, "headers": [{"key": "h", "value": "v"}]}"""),
            JsonNode.Parse("""{"topic": "audit", "partition": 2, "timestamp": null, "key": null, "value": {"id": 2, "ssn": "999"}, "headers": []}"""),
        };

        var (status, body) = await PreviewAsync(config, records);

        Assert.Equal(HttpStatusCode.OK, status);
        var outputs = Outputs(body);
        Assert.Equal(2, outputs.Count);
        // Routed (the predicate matched), masked, with the static field; a source record has no offset.
        AssertJson("""{"topic": "eu-orders", "partition": null, "timestamp": 1700000000000, "key": "k1", "value": {"id": 1, "ssn": "", "origin": "preview"}, "headers": [{"key": "h", "value": "v"}]}""", outputs[0]);
        // Not routed: the predicate did not match; the other stages ran.
        AssertJson("""{"topic": "audit", "partition": 2, "timestamp": null, "key": null, "value": {"id": 2, "ssn": "", "origin": "preview"}, "headers": []}""", outputs[1]);
    }

    [Fact]
    public async Task Schema_sink_records_keep_their_offset_and_get_a_rewritten_schema()
    {
        var config = new JsonObject
        {
            ["key.converter"] = "org.apache.kafka.connect.storage.StringConverter",
            ["value.converter"] = "org.apache.kafka.connect.json.JsonConverter",
            ["value.converter.schemas.enable"] = "true",
            ["transforms"] = "drop,cast,rename",
            ["transforms.drop.type"] = "org.apache.kafka.connect.transforms.ReplaceField$Value",
            ["transforms.drop.exclude"] = "secret",
            ["transforms.cast.type"] = "org.apache.kafka.connect.transforms.Cast$Value",
            ["transforms.cast.spec"] = "age:string",
            ["transforms.cast.predicate"] = "flagged",
            ["transforms.rename.type"] = "org.apache.kafka.connect.transforms.ReplaceField$Value",
            ["transforms.rename.renames"] = "name:fullName",
            ["predicates"] = "flagged",
            ["predicates.flagged.type"] = "org.apache.kafka.connect.transforms.predicates.HasHeaderKey",
            ["predicates.flagged.name"] = "cast-me",
        };
        const string envelope = """
            {"schema": {"type": "struct", "name": "person", "optional": false, "fields": [
                {"field": "name", "type": "string", "optional": false},
                {"field": "age", "type": "int32", "optional": false},
                {"field": "secret", "type": "string", "optional": true}]},
             "payload": {"name": "Ann", "age": 30, "secret": "s3cr3t"}}
            """;
        var records = new JsonArray
        {
            new JsonObject { ["topic"] = "people", ["partition"] = 1, ["offset"] = 42, ["timestamp"] = 5, ["key"] = "ann", ["value"] = JsonNode.Parse(envelope),
                ["headers"] = new JsonArray { new JsonObject { ["key"] = "cast-me", ["value"] = null } } },
            new JsonObject { ["topic"] = "people", ["partition"] = 1, ["offset"] = 43, ["timestamp"] = 6, ["key"] = "ann", ["value"] = JsonNode.Parse(envelope) },
            // Not the envelope schemas.enable=true asks for: the converter rejects it.
            new JsonObject { ["topic"] = "people", ["partition"] = 1, ["offset"] = 44, ["value"] = JsonNode.Parse("""{"name": "Bob"}""") },
        };

        var (status, body) = await PreviewAsync(config, records);

        Assert.Equal(HttpStatusCode.OK, status);
        var outputs = Outputs(body);
        Assert.Equal(3, outputs.Count);
        var flagged = outputs[0]!;
        Assert.Equal(42, (long?)flagged["offset"]);
        Assert.Equal(1, (int?)flagged["partition"]);
        Assert.Equal("people", (string?)flagged["topic"]);
        AssertJson("""{"fullName": "Ann", "age": "30"}""", flagged["value"]!["payload"]);
        var fields = flagged["value"]!["schema"]!["fields"]!.AsArray();
        Assert.Equal(["fullName", "age"], fields.Select(f => (string?)f!["field"]));
        Assert.Equal("string", (string?)fields[1]!["type"]);
        Assert.Equal("person", (string?)flagged["value"]!["schema"]!["name"]);
        AssertJson("""[{"key": "cast-me", "value": null}]""", flagged["headers"]);

        var unflagged = outputs[1]!;
        Assert.Equal(43, (long?)unflagged["offset"]);
        AssertJson("""{"fullName": "Ann", "age": 30}""", unflagged["value"]!["payload"]);
        Assert.Equal("int32", (string?)unflagged["value"]!["schema"]!["fields"]![1]!["type"]);

        var error = (string?)outputs[2]!["error"];
        Assert.NotNull(error);
        Assert.Contains("VALUE_CONVERTER", error);
        Assert.Contains("org.apache.kafka.connect.json.JsonConverter", error);
        Assert.Contains("schemas.enable", error);
    }

    [Fact]
    public async Task A_dropped_record_and_a_failing_record_do_not_stop_the_others()
    {
        var config = new JsonObject
        {
            ["value.converter"] = "org.apache.kafka.connect.json.JsonConverter",
            ["value.converter.schemas.enable"] = "false",
            ["transforms"] = "dropTombstones,toInt,hoist",
            ["transforms.dropTombstones.type"] = "org.apache.kafka.connect.transforms.Filter",
            ["transforms.dropTombstones.predicate"] = "isTombstone",
            ["transforms.toInt.type"] = "org.apache.kafka.connect.transforms.Cast$Value",
            ["transforms.toInt.spec"] = "int32",
            ["transforms.hoist.type"] = "org.apache.kafka.connect.transforms.HoistField$Value",
            ["transforms.hoist.field"] = "n",
            ["predicates"] = "isTombstone",
            ["predicates.isTombstone.type"] = "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone",
        };
        var records = new JsonArray
        {
            new JsonObject { ["topic"] = "t", ["value"] = "5" },
            new JsonObject { ["topic"] = "t", ["value"] = null },
            new JsonObject { ["topic"] = "t", ["value"] = "x" },
            new JsonObject { ["topic"] = "t", ["offset"] = 9, ["value"] = "7" },
        };

        var (status, body) = await PreviewAsync(config, records);

        Assert.Equal(HttpStatusCode.OK, status);
        var outputs = Outputs(body);
        Assert.Equal(4, outputs.Count);
        AssertJson("""{"n": 5}""", outputs[0]!["value"]);
        Assert.Null(outputs[0]!["offset"]);
        AssertJson("""{"dropped": true}""", outputs[1]);
        var error = (string?)outputs[2]!["error"];
        Assert.NotNull(error);
        Assert.Contains("TRANSFORMATION", error);
        Assert.Contains("org.apache.kafka.connect.transforms.Cast$Value", error);
        Assert.Single(outputs[2]!.AsObject());
        AssertJson("""{"n": 7}""", outputs[3]!["value"]);
        Assert.Equal(9, (long?)outputs[3]!["offset"]);
    }

    [Fact]
    public async Task Debezium_unwrap_flattens_change_events_rewrites_deletes_and_drops_tombstones()
    {
        var config = new JsonObject
        {
            ["value.converter"] = "org.apache.kafka.connect.json.JsonConverter",
            ["value.converter.schemas.enable"] = "true",
            ["transforms"] = "unwrap",
            ["transforms.unwrap.type"] = "io.debezium.transforms.ExtractNewRecordState",
            ["transforms.unwrap.delete.tombstone.handling.mode"] = "rewrite",
            ["transforms.unwrap.add.fields"] = "op,source.ts_ms",
            ["transforms.unwrap.add.headers"] = "op",
        };
        const string row = """
            {"type": "struct", "name": "shop.public.orders.Value", "optional": true, "fields": [
                {"field": "id", "type": "int32", "optional": false}, {"field": "item", "type": "string", "optional": true}]
            """;
        const string envelope = """
            {"schema": {"type": "struct", "name": "shop.public.orders.Envelope", "version": 2, "optional": false, "fields": [
                ROW, "field": "before"}, ROW, "field": "after"},
                {"field": "source", "type": "struct", "name": "io.debezium.connector.postgresql.Source", "optional": false, "fields": [
                    {"field": "ts_ms", "type": "int64", "optional": false}, {"field": "table", "type": "string", "optional": false}]},
                {"field": "op", "type": "string", "optional": false}, {"field": "ts_ms", "type": "int64", "optional": true}]},
             "payload": {"before": BEFORE, "after": AFTER, "source": {"ts_ms": 1700000000123, "table": "orders"}, "op": "OP", "ts_ms": 1700000000200}}
            """;
        static JsonNode Envelope(string before, string after, string op) =>
            JsonNode.Parse(envelope.Replace("ROW", row.TrimEnd()).Replace("BEFORE", before).Replace("AFTER", after).Replace("OP", op))!;
        var records = new JsonArray
        {
            new JsonObject { ["topic"] = "shop.public.orders", ["value"] = Envelope("null", """{"id": 1, "item": "apple"}""", "c") },
            new JsonObject { ["topic"] = "shop.public.orders", ["value"] = Envelope("""{"id": 1, "item": "apple"}""", "null", "d") },
            new JsonObject { ["topic"] = "shop.public.orders", ["value"] = null },
            // Not an envelope (a heartbeat): unchanged.
            new JsonObject { ["topic"] = "__debezium-heartbeat.shop", ["value"] = JsonNode.Parse("""
                {"schema": {"type": "struct", "name": "io.debezium.connector.common.Heartbeat", "optional": false,
                    "fields": [{"field": "ts_ms", "type": "int64", "optional": false}]}, "payload": {"ts_ms": 5}}
                """) },
        };

        var (status, body) = await PreviewAsync(config, records);

        Assert.Equal(HttpStatusCode.OK, status);
        var outputs = Outputs(body);
        Assert.Equal(4, outputs.Count);
        AssertJson("""{"id": 1, "item": "apple", "__deleted": "false", "__op": "c", "__source_ts_ms": 1700000000123}""", outputs[0]!["value"]!["payload"]);
        var schema = outputs[0]!["value"]!["schema"]!;
        Assert.Equal("shop.public.orders.Value", (string?)schema["name"]);
        Assert.Equal(["id", "item", "__deleted", "__op", "__source_ts_ms"], schema["fields"]!.AsArray().Select(f => (string?)f!["field"]));
        AssertJson("""[{"key": "__op", "value": "c"}]""", outputs[0]!["headers"]);
        Assert.Equal("shop.public.orders", (string?)outputs[0]!["topic"]);
        AssertJson("""{"id": 1, "item": "apple", "__deleted": "true", "__op": "d", "__source_ts_ms": 1700000000123}""", outputs[1]!["value"]!["payload"]);
        AssertJson("""[{"key": "__op", "value": "d"}]""", outputs[1]!["headers"]);
        AssertJson("""{"dropped": true}""", outputs[2]);
        AssertJson("""{"ts_ms": 5}""", outputs[3]!["value"]!["payload"]);
        Assert.Equal("__debezium-heartbeat.shop", (string?)outputs[3]!["topic"]);
    }

    [Fact]
    public async Task Debezium_unwrap_refuses_an_unknown_delete_mode_naming_the_key()
    {
        var config = new JsonObject
        {
            ["transforms"] = "unwrap",
            ["transforms.unwrap.type"] = "ExtractNewRecordState",
            ["transforms.unwrap.delete.tombstone.handling.mode"] = "keep",
        };

        var (status, body) = await PreviewAsync(config, [new JsonObject { ["topic"] = "t", ["value"] = 1 }]);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("delete.tombstone.handling.mode", (string?)body!["message"]);
    }

    [Theory]
    [InlineData("transforms.c.type", "org.apache.kafka.connect.transforms.NoSuchTransform", "transforms.c.type")]
    [InlineData("transforms.c.spec", "age:nonsense", "transforms.c.")]
    [InlineData("value.converter", "com.example.NoSuchConverter", "value.converter")]
    [InlineData("value.converter.schemas.enable", "maybe", "value.converter.schemas.enable")]
    public async Task An_invalid_transform_or_converter_config_is_a_400_naming_the_key(string key, string value, string named)
    {
        var config = new JsonObject
        {
            // A converter's own settings apply when the connector config names the converter (else the worker's are used).
            ["value.converter"] = "org.apache.kafka.connect.json.JsonConverter",
            ["transforms"] = "c",
            ["transforms.c.type"] = "org.apache.kafka.connect.transforms.Cast$Value",
            ["transforms.c.spec"] = "int32",
        };
        config[key] = value;

        var (status, body) = await PreviewAsync(config, [new JsonObject { ["topic"] = "t", ["value"] = 1 }]);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(400, (int?)body!["error_code"]);
        Assert.Contains(named, (string?)body["message"]);
    }

    // Connect's SourceRecord and SinkRecord check none of topic, partition and timestamp (ConnectRecord.java), and
    // TopicNameMatches.test is false for a null topic, so Filter keeps the record (TopicNameMatchesTest.java).
    [Fact]
    public async Task Records_with_a_null_or_empty_topic_and_no_partition_or_timestamp_are_previewed()
    {
        var config = new JsonObject
        {
            ["value.converter"] = "org.apache.kafka.connect.json.JsonConverter",
            ["value.converter.schemas.enable"] = "false",
            ["transforms"] = "insert,filter",
            ["transforms.insert.type"] = "org.apache.kafka.connect.transforms.InsertField$Value",
            ["transforms.insert.topic.field"] = "t",
            ["transforms.filter.type"] = "org.apache.kafka.connect.transforms.Filter",
            ["transforms.filter.predicate"] = "anyTopic",
            ["predicates"] = "anyTopic",
            ["predicates.anyTopic.type"] = "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
            ["predicates.anyTopic.pattern"] = ".*",
        };
        var records = new JsonArray
        {
            JsonNode.Parse("""{"topic": null, "partition": null, "timestamp": null, "key": null, "value": {"a": 1}}"""),
            JsonNode.Parse("""{"value": {"a": 2}}"""),
            JsonNode.Parse("""{"topic": null, "partition": null, "offset": 7, "timestamp": null, "value": {"a": 3}}"""),
            // An empty topic is a topic: ".*" matches it and Filter drops the record.
            JsonNode.Parse("""{"topic": "", "partition": null, "timestamp": null, "value": {"a": 4}}"""),
            JsonNode.Parse("""{"topic": "", "offset": 8, "value": {"a": 5}}"""),
        };

        var (status, body) = await PreviewAsync(config, records);

        Assert.Equal(HttpStatusCode.OK, status);
        var outputs = Outputs(body);
        Assert.Equal(5, outputs.Count);
        AssertJson("""{"topic": null, "partition": null, "timestamp": null, "key": null, "value": {"a": 1, "t": null}, "headers": []}""", outputs[0]);
        AssertJson("""{"topic": null, "partition": null, "timestamp": null, "key": null, "value": {"a": 2, "t": null}, "headers": []}""", outputs[1]);
        // A sink record's partition is an int in Connect: a missing one reads as 0.
        AssertJson("""{"topic": null, "partition": 0, "offset": 7, "timestamp": null, "key": null, "value": {"a": 3, "t": null}, "headers": []}""", outputs[2]);
        AssertJson("""{"dropped": true}""", outputs[3]);
        AssertJson("""{"dropped": true}""", outputs[4]);
    }

    // Timestamp.java keeps java.util.Date's long exact; CastTest.castLogicalToPrimitive casts new Date(Long.MAX_VALUE)
    // to 9.223372036854776E18; Values.parseString (InsertHeader) gives [1, "a"] an ARRAY schema without element schema.
    [Fact]
    public async Task A_timestamp_of_Long_MAX_VALUE_and_a_mixed_list_header_go_through_the_chain()
    {
        var config = new JsonObject
        {
            ["value.converter"] = "org.apache.kafka.connect.json.JsonConverter",
            ["value.converter.schemas.enable"] = "true",
            ["header.converter"] = "org.apache.kafka.connect.storage.SimpleHeaderConverter",
            ["transforms"] = "cast,header",
            ["transforms.cast.type"] = "org.apache.kafka.connect.transforms.Cast$Value",
            ["transforms.cast.spec"] = "asDouble:float64",
            ["transforms.header.type"] = "org.apache.kafka.connect.transforms.InsertHeader",
            ["transforms.header.header"] = "mixed",
            ["transforms.header.value.literal"] = "[1, \"a\"]",
        };
        const string envelope = """
            {"schema": {"type": "struct", "optional": false, "fields": [
                {"field": "ts", "type": "int64", "name": "org.apache.kafka.connect.data.Timestamp", "version": 1, "optional": false},
                {"field": "asDouble", "type": "int64", "name": "org.apache.kafka.connect.data.Timestamp", "version": 1, "optional": false},
                {"field": "min", "type": "int64", "name": "org.apache.kafka.connect.data.Timestamp", "version": 1, "optional": false}]},
             "payload": {"ts": 9223372036854775807, "asDouble": 9223372036854775807, "min": -9223372036854775808}}
            """;
        var records = new JsonArray { new JsonObject { ["topic"] = "t", ["value"] = JsonNode.Parse(envelope) } };

        var (status, body) = await PreviewAsync(config, records);

        Assert.Equal(HttpStatusCode.OK, status);
        var output = Outputs(body)[0]!;
        var payload = output["value"]!["payload"]!;
        Assert.Equal(long.MaxValue, (long)payload["ts"]!);
        Assert.Equal(9.223372036854776E18, (double)payload["asDouble"]!);
        Assert.Equal(long.MinValue, (long)payload["min"]!);
        Assert.Equal("double", (string?)output["value"]!["schema"]!["fields"]![1]!["type"]);
        AssertJson("""[{"key": "mixed", "value": [1, "a"]}]""", output["headers"]);
    }

    [Fact]
    public async Task A_predicate_that_is_not_declared_or_a_request_without_records_is_a_400()
    {
        var config = new JsonObject
        {
            ["transforms"] = "f",
            ["transforms.f.type"] = "org.apache.kafka.connect.transforms.Filter",
            ["transforms.f.predicate"] = "missing",
        };
        var (status, body) = await PreviewAsync(config, []);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("predicates.missing", (string?)body!["message"]);

        var (noRecords, noRecordsBody) = await fixture.Silo.Client.SendAsync(HttpMethod.Post, "transforms/preview", """{"config": {}}""");
        Assert.Equal(HttpStatusCode.BadRequest, noRecords);
        Assert.Contains("records", (string?)noRecordsBody!["message"]);
    }

    [Fact]
    public async Task The_endpoint_is_in_the_OpenAPI_document_with_its_request_and_response()
    {
        var (status, document) = await fixture.Silo.Client.SendAsync(HttpMethod.Get, "openapi.json");

        Assert.Equal(HttpStatusCode.OK, status);
        var operation = document!["paths"]!["/transforms/preview"]!["post"]!;
        Assert.NotNull(operation["requestBody"]!["content"]!["application/json"]!["schema"]);
        var response = operation["responses"]!["200"]!["content"]!["application/json"]!["schema"]!;
        // Outcomes are told apart by their members: no discriminator member is described (none is written).
        Assert.DoesNotContain("discriminator", response.ToJsonString());
        Assert.Equal(3, response["properties"]!["records"]!["items"]!["anyOf"]!.AsArray().Count);
        var schemas = document["components"]!["schemas"]!.AsObject();
        Assert.Contains(schemas, s => s.Key.Contains("TransformPreviewRequest"));
        Assert.Contains(schemas, s => s.Key.Contains("PreviewRecord"));
    }
}
