using System.Net;
using System.Text.Json.Nodes;
using OrleansConnect.Tests.ErrorHandling;
using OrleansConnect.Tests.Infrastructure;

namespace OrleansConnect.Tests.Jdbc;

/// <summary>The JDBC source against a real PostgreSQL through a real silo: Confluent's record shapes, topic names and
/// offsets, per mode.</summary>
public sealed class JdbcSourceTests(JdbcFixture fixture) : IClassFixture<JdbcFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private Dictionary<string, string> Config(string mode) => new()
    {
        ["connector.class"] = "io.confluent.connect.jdbc.JdbcSourceConnector",
        ["connection.url"] = fixture.JdbcUrl,
        ["connection.user"] = "postgres",
        ["mode"] = mode,
        ["poll.interval.ms"] = "300",
        ["value.converter"] = "org.apache.kafka.connect.json.JsonConverter",
        ["key.converter"] = "org.apache.kafka.connect.json.JsonConverter",
    };

    private Task<List<JsonNode>> ReadValuesAsync(string topic, int count) =>
        KafkaTopics.ReadUntilAsync(fixture.Broker.BootstrapServers, topic, 1, read => read.Count >= count, Timeout)
            .ContinueWith(t => t.Result.Select(r => JsonNode.Parse(KafkaTopics.Text(r.Message.Value)!)!).ToList());

    /// <summary>The connector's committed source offsets: partition JSON → offset JSON, the last of each.</summary>
    private async Task<Dictionary<string, string>> OffsetsAsync(string connector)
    {
        var read = await KafkaTopics.ReadToEndAsync(fixture.Broker.BootstrapServers, "connect-offsets", 25, Timeout);
        var offsets = new Dictionary<string, string>();
        foreach (var record in read)
        {
            var key = JsonNode.Parse(KafkaTopics.Text(record.Message.Key)!)!.AsArray();
            if ((string?)key[0] != connector) continue;
            offsets[key[1]!.ToJsonString()] = KafkaTopics.Text(record.Message.Value) ?? "null";
        }
        return offsets;
    }

    [Fact]
    public async Task Incrementing_mode_shares_tables_between_tasks_with_Confluents_records_topics_and_offsets()
    {
        var name = SiloWithBroker.Unique("jdbc-src-inc");
        var suffix = name[^8..];
        string[] tables = [$"accounts_{suffix}", $"orders_{suffix}"];
        foreach (var table in tables)
        {
            await fixture.ExecuteAsync($"CREATE TABLE {table} (id SERIAL PRIMARY KEY, name TEXT NOT NULL, balance NUMERIC(10,2), born DATE, seen TIMESTAMP)");
            await fixture.ExecuteAsync($"INSERT INTO {table} (name, balance, born, seen) VALUES ('a', 1.50, '2024-01-25', '2024-01-15 12:30:10.5'), ('b', NULL, NULL, NULL)");
            fixture.Broker.Broker.CreateTopic("pg-" + table, 1);
        }
        var config = Config("incrementing");
        config["incrementing.column.name"] = "id";
        config["table.whitelist"] = string.Join(",", tables);
        config["topic.prefix"] = "pg-";
        config["tasks.max"] = "2";
        await fixture.Silo.Client.CreateConnectorAsync(name, config);

        var status = await fixture.Silo.Client.WaitForStateAsync(name, "RUNNING", 2, Timeout);
        Assert.Equal(2, status!["tasks"]!.AsArray().Count);
        var values = await ReadValuesAsync("pg-" + tables[0], 2);
        var schema = values[0]["schema"]!;
        Assert.Equal(tables[0], (string?)schema["name"]);
        Assert.Equal("""[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":false,"field":"name"},{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"},"field":"balance"},{"type":"int32","optional":true,"name":"org.apache.kafka.connect.data.Date","version":1,"field":"born"},{"type":"int64","optional":true,"name":"org.apache.kafka.connect.data.Timestamp","version":1,"field":"seen"}]""",
            schema["fields"]!.ToJsonString());
        Assert.Equal("""{"id":1,"name":"a","balance":"AJY=","born":19747,"seen":1705321810500}""", values[0]["payload"]!.ToJsonString());
        Assert.Equal("""{"id":2,"name":"b","balance":null,"born":null,"seen":null}""", values[1]["payload"]!.ToJsonString());
        await ReadValuesAsync("pg-" + tables[1], 2);

        // New rows arrive; the committed offsets are Confluent's, per table.
        await fixture.ExecuteAsync($"INSERT INTO {tables[1]} (name) VALUES ('c')");
        var more = await ReadValuesAsync("pg-" + tables[1], 3);
        Assert.Equal("c", (string?)more[2]["payload"]!["name"]);
        await Eventually.Until(() => OffsetsAsync(name), o => o.Count == 2 && o.Values.Contains("""{"incrementing":3}"""), Timeout,
            o => string.Join(" | ", o?.Select(kv => kv.Key + " → " + kv.Value) ?? []));
        var offsets = await OffsetsAsync(name);
        Assert.Equal("""{"incrementing":2}""", offsets[$$"""{"protocol":"1","table":"public.{{tables[0]}}"}"""]);
        Assert.Equal("""{"incrementing":3}""", offsets[$$"""{"protocol":"1","table":"public.{{tables[1]}}"}"""]);
    }

    [Fact]
    public async Task Timestamp_incrementing_mode_picks_up_updates_and_query_mode_writes_to_the_prefix_topic()
    {
        var name = SiloWithBroker.Unique("jdbc-src-ts");
        var table = "items_" + name[^8..];
        await fixture.ExecuteAsync($"CREATE TABLE {table} (id BIGSERIAL PRIMARY KEY, label TEXT, updated TIMESTAMP NOT NULL DEFAULT clock_timestamp())");
        await fixture.ExecuteAsync($"INSERT INTO {table} (label) VALUES ('first'), ('second')");
        var topic = "ts-" + table;
        fixture.Broker.Broker.CreateTopic(topic, 1);
        var config = Config("timestamp+incrementing");
        config["incrementing.column.name"] = "id";
        config["timestamp.column.name"] = "updated";
        config["table.whitelist"] = "public." + table;
        config["topic.prefix"] = "ts-";
        await fixture.Silo.Client.CreateConnectorAsync(name, config);
        await ReadValuesAsync(topic, 2);

        await fixture.ExecuteAsync($"UPDATE {table} SET label = 'first, changed', updated = clock_timestamp() WHERE id = 1");
        var values = await ReadValuesAsync(topic, 3);
        Assert.Equal(["first", "second", "first, changed"], values.Select(v => (string?)v["payload"]!["label"]));
        var updated = (await fixture.QueryAsync($"SELECT (extract(epoch from updated) * 1000000)::bigint FROM {table} WHERE id = 1"))[0][0];
        var micros = (long)updated!;
        var expected = $$"""{"incrementing":1,"timestamp":{{micros / 1000}},"timestamp_nanos":{{micros % 1_000_000 * 1000}}}""";
        await Eventually.Until(() => OffsetsAsync(name), o => o.Values.Contains(expected), Timeout,
            o => expected + " in " + string.Join(" | ", o?.Select(kv => kv.Key + " → " + kv.Value) ?? []));

        // Query mode: the topic is the prefix itself, the partition {"query":"query"}.
        var queryName = name + "-q";
        var queryTopic = "q-" + table;
        fixture.Broker.Broker.CreateTopic(queryTopic, 1);
        var query = Config("incrementing");
        query["query"] = $"SELECT id, upper(label) AS shout FROM {table}";
        query["incrementing.column.name"] = "id";
        query["topic.prefix"] = queryTopic;
        query["validate.non.null"] = "false";
        await fixture.Silo.Client.CreateConnectorAsync(queryName, query);
        var shouts = await ReadValuesAsync(queryTopic, 2);
        Assert.Equal(["FIRST, CHANGED", "SECOND"], shouts.Select(v => (string?)v["payload"]!["shout"]));
        await Eventually.Until(() => OffsetsAsync(queryName), o => o.GetValueOrDefault("""{"query":"query"}""") == """{"incrementing":2}""", Timeout,
            o => string.Join(" | ", o?.Select(kv => kv.Key + " → " + kv.Value) ?? []));
    }

    [Fact]
    public async Task Bulk_mode_copies_the_whole_table_each_pass_and_validation_requires_a_mode()
    {
        var name = SiloWithBroker.Unique("jdbc-src-bulk");
        var table = "bulk_" + name[^8..];
        await fixture.ExecuteAsync($"CREATE TABLE {table} (k INT NOT NULL, v TEXT)");
        await fixture.ExecuteAsync($"INSERT INTO {table} VALUES (1, 'x'), (2, 'y')");
        fixture.Broker.Broker.CreateTopic(table, 1);
        var config = Config("bulk");
        config["table.whitelist"] = table;
        await fixture.Silo.Client.CreateConnectorAsync(name, config);
        // Two passes at least: the same two rows again.
        var values = await ReadValuesAsync(table, 4);
        Assert.Equal(["1", "2", "1", "2"], values.Take(4).Select(v => v["payload"]!["k"]!.ToJsonString()));

        var invalid = Config("");
        invalid["name"] = name + "-invalid";
        invalid["table.whitelist"] = table;
        var (status, body) = await fixture.Silo.Client.SendAsync(HttpMethod.Put, "connector-plugins/JdbcSourceConnector/config/validate",
            System.Text.Json.JsonSerializer.Serialize(invalid));
        Assert.Equal(HttpStatusCode.OK, status);
        var errors = body!["configs"]!.AsArray().SelectMany(c => c!["value"]!["errors"]!.AsArray().Select(e => $"{c["value"]!["name"]}: {e}")).ToList();
        Assert.Equal(["mode: Query mode must be specified"], errors);
    }
}
