using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Confluent.Kafka;
using Npgsql;
using OrleansConnect.Tests.ErrorHandling;
using OrleansConnect.Tests.Infrastructure;

namespace OrleansConnect.Tests.Jdbc;

/// <summary>A throwaway PostgreSQL, a test broker and one silo, shared by a class's tests (each uses its own topics,
/// tables and connector names).</summary>
public sealed class JdbcFixture : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "oc-jdbc-" + Guid.NewGuid().ToString("N")[..8]);

    public PostgresServer Postgres { get; } = new();
    public TestBroker Broker { get; } = new();
    public SiloProcess Silo { get; private set; } = null!;

    public string JdbcUrl => $"jdbc:postgresql://127.0.0.1:{Postgres.Port}/{Postgres.Database}";

    public async Task InitializeAsync()
    {
        await Postgres.InitializeAsync();
        Directory.CreateDirectory(_dir);
        // A failed task stays FAILED long enough to be seen.
        Silo = new SiloProcess(_dir, Broker.BootstrapServers, new Dictionary<string, string> { ["task.restart.backoff.initial.ms"] = "60000" });
        await Silo.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await Silo.DisposeAsync();
        Broker.Dispose();
        await Postgres.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    public async Task<List<object?[]>> QueryAsync(string sql)
    {
        // Unpooled: a pooled connection would not survive the server's restart in one test.
        await using var connection = new NpgsqlConnection(Postgres.ConnectionString.Replace("Pooling=true", "Pooling=false"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<object?[]>();
        while (await reader.ReadAsync())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++) row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }

    public async Task ExecuteAsync(string sql)
    {
        // Unpooled: a pooled connection would not survive the server's restart in one test.
        await using var connection = new NpgsqlConnection(Postgres.ConnectionString.Replace("Pooling=true", "Pooling=false"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>The JDBC sink against a real PostgreSQL through a real silo: Confluent's configs, JSON records with
/// schemas, upserts, deletes, table creation and evolution, and the failures Confluent's sink reports.</summary>
public sealed class JdbcSinkTests(JdbcFixture fixture) : IClassFixture<JdbcFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private const string KeySchema = """{"type":"struct","fields":[{"field":"id","type":"int64","optional":false}],"optional":false,"name":"Key"}""";

    private const string ValueSchema = """
        {"type":"struct","name":"Row","optional":false,"fields":[
          {"field":"id","type":"int64","optional":false},
          {"field":"name","type":"string","optional":true},
          {"field":"qty","type":"int32","optional":true},
          {"field":"ok","type":"boolean","optional":true},
          {"field":"ratio","type":"double","optional":true},
          {"field":"price","type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"}},
          {"field":"day","type":"int32","optional":true,"name":"org.apache.kafka.connect.data.Date","version":1},
          {"field":"at","type":"int64","optional":true,"name":"org.apache.kafka.connect.data.Timestamp","version":1},
          {"field":"blob","type":"bytes","optional":true}]}
        """;

    private static Message<byte[]?, byte[]?> Row(long id, string? name, int qty, decimal price, string? valueSchema = null)
    {
        var unscaled = (System.Numerics.BigInteger)(price * 100);
        var payload = new JsonObject
        {
            ["id"] = id, ["name"] = name, ["qty"] = qty, ["ok"] = qty % 2 == 0, ["ratio"] = qty / 4.0,
            ["price"] = Convert.ToBase64String(unscaled.ToByteArray(isUnsigned: false, isBigEndian: true)),
            ["day"] = 19737 + qty, ["at"] = 1_705_321_800_000L + qty * 1000L, ["blob"] = Convert.ToBase64String([1, 2, (byte)qty]),
        };
        return new Message<byte[]?, byte[]?>
        {
            Key = Json(KeySchema, new JsonObject { ["id"] = id }),
            Value = Json(valueSchema ?? ValueSchema, payload),
        };
    }

    private static byte[] Json(string schema, JsonNode payload) =>
        Encoding.UTF8.GetBytes(new JsonObject { ["schema"] = JsonNode.Parse(schema), ["payload"] = payload }.ToJsonString());

    private static Message<byte[]?, byte[]?> Tombstone(long id) => new() { Key = Json(KeySchema, new JsonObject { ["id"] = id }), Value = null };

    private (string Name, string Topic, Dictionary<string, string> Config) Setup(string prefix)
    {
        var name = SiloWithBroker.Unique(prefix).Replace('-', '_');
        var topic = name;
        fixture.Broker.Broker.CreateTopic(topic, 1);
        return (name, topic, new Dictionary<string, string>
        {
            ["connector.class"] = "io.confluent.connect.jdbc.JdbcSinkConnector",
            ["tasks.max"] = "1",
            ["topics"] = topic,
            ["connection.url"] = fixture.JdbcUrl,
            ["connection.user"] = "postgres",
            ["connection.password"] = "not-needed-with-trust",
            ["key.converter"] = "org.apache.kafka.connect.json.JsonConverter",
            ["value.converter"] = "org.apache.kafka.connect.json.JsonConverter",
        });
    }

    private Task<long> Committed(string name, string topic) => KafkaTopics.CommittedAsync(fixture.Broker.BootstrapServers, "connect-" + name, topic);

    [Fact]
    public async Task Upsert_with_deletes_creates_the_table_and_ends_with_the_last_state_of_every_key()
    {
        var (name, topic, config) = Setup("jdbc_upsert");
        config["insert.mode"] = "upsert";
        config["pk.mode"] = "record_key";
        config["delete.enabled"] = "true";
        config["auto.create"] = "true";
        // Confluent's short alias.
        config["connector.class"] = "JdbcSink";
        Message<byte[]?, byte[]?>[] messages =
        [
            Row(1, "one", 1, 1.10m), Row(2, "two", 2, 2.20m), Row(3, "three", 3, 3.30m),
            Row(2, "two again", 20, 22.22m), Tombstone(3), Row(4, null, 4, 0.01m), Row(1, "one again", 10, 11.11m),
        ];
        await KafkaTopics.ProduceAsync(fixture.Broker.BootstrapServers, topic, messages);
        await fixture.Silo.Client.CreateConnectorAsync(name, config);

        await Eventually.Until(() => Committed(name, topic), offset => offset == messages.Length, Timeout,
            offset => $"committed {offset}\n{fixture.Silo.Log}");
        var rows = await fixture.QueryAsync($"SELECT id, name, qty, ok, ratio, price, day, at, blob FROM \"{topic}\" ORDER BY id");
        Assert.Equal(3, rows.Count);
        Assert.Equal([1L, "one again", 10, true, 2.5, 11.11m, new DateOnly(2024, 1, 25), new DateTime(2024, 1, 15, 12, 30, 10)], rows[0][..8]);
        Assert.Equal(new byte[] { 1, 2, 10 }, rows[0][8]);
        Assert.Equal([2L, "two again", 20, true, 5.0, 22.22m], rows[1][..6]);
        Assert.Equal([4L, null, 4, true, 1.0, 0.01m], rows[2][..6]);
        // auto.create's types as Confluent's PostgreSQL dialect gives them, and the key.
        var types = await fixture.QueryAsync($"SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = '{topic}' ORDER BY ordinal_position");
        Assert.Equal(["id bigint NO", "name text YES", "qty integer YES", "ok boolean YES", "ratio double precision YES", "price numeric YES",
            "day date YES", "at timestamp without time zone YES", "blob bytea YES"], types.Select(r => $"{r[0]} {r[1]} {r[2]}"));
        var pk = await fixture.QueryAsync($"SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) WHERE i.indrelid = '\"{topic}\"'::regclass AND i.indisprimary");
        Assert.Equal(["id"], pk.Select(r => (string)r[0]!));
    }

    [Fact]
    public async Task Insert_mode_writes_the_same_rows_by_COPY_and_by_INSERT_and_honours_rules()
    {
        // Three tables fed by one topic: columns of exactly the bound types (written with binary COPY), wider columns
        // (INSERT casts them), and exact columns under a rule, which COPY would bypass (INSERT again).
        var (name, topic, config) = Setup("jdbc_copy");
        const string exact = "(id BIGINT, name TEXT, qty INT, ok BOOLEAN, ratio FLOAT8, price NUMERIC, day DATE, at TIMESTAMP, blob BYTEA)";
        await fixture.ExecuteAsync($"CREATE TABLE \"{topic}_exact\" {exact}");
        await fixture.ExecuteAsync($"CREATE TABLE \"{topic}_wide\" (id NUMERIC, name VARCHAR(20), qty BIGINT, ok BOOLEAN, ratio NUMERIC, price NUMERIC(10,2), day TIMESTAMP, at TIMESTAMPTZ, blob BYTEA)");
        await fixture.ExecuteAsync($"CREATE TABLE \"{topic}_ruled\" {exact}");
        await fixture.ExecuteAsync($"CREATE TABLE \"{topic}_log\" (id BIGINT)");
        await fixture.ExecuteAsync($"CREATE RULE log_{topic} AS ON INSERT TO \"{topic}_ruled\" DO ALSO INSERT INTO \"{topic}_log\" VALUES (NEW.id)");
        Message<byte[]?, byte[]?>[] messages = [.. Enumerable.Range(1, 40).Select(i => Row(i, i % 5 == 0 ? null : "row " + i, i, i * 1.25m))];
        await KafkaTopics.ProduceAsync(fixture.Broker.BootstrapServers, topic, messages);
        foreach (var table in new[] { "exact", "wide", "ruled" })
        {
            var connector = new Dictionary<string, string>(config) { ["table.name.format"] = $"${{topic}}_{table}", ["batch.size"] = "7" };
            await fixture.Silo.Client.CreateConnectorAsync($"{name}_{table}", connector);
        }
        foreach (var table in new[] { "exact", "wide", "ruled" })
            await Eventually.Until(() => Committed($"{name}_{table}", topic), offset => offset == messages.Length, Timeout, offset => $"committed {offset}\n{fixture.Silo.Log}");

        const string columns = "id::bigint, name, qty::int, ok, ratio::float8, price, day::date, at::timestamp, blob";
        var expected = await fixture.QueryAsync($"SELECT {columns} FROM \"{topic}_exact\" ORDER BY id");
        Assert.Equal(messages.Length, expected.Count);
        Assert.Equal([5L, null, 5, false, 1.25, 6.25m, new DateOnly(2024, 1, 20), new DateTime(2024, 1, 15, 12, 30, 5)], expected[4][..8]);
        // The wide table's TIMESTAMPTZ took the wall-clock time in the server's zone, which reads it back the same.
        Assert.Equal(expected, await fixture.QueryAsync($"SELECT {columns} FROM \"{topic}_wide\" ORDER BY id"));
        Assert.Equal(expected, await fixture.QueryAsync($"SELECT {columns} FROM \"{topic}_ruled\" ORDER BY id"));
        Assert.Equal(messages.Length, (await fixture.QueryAsync($"SELECT id FROM \"{topic}_log\"")).Count);
    }

    [Fact]
    public async Task Auto_evolve_adds_a_new_optional_field_as_a_nullable_column()
    {
        var (name, topic, config) = Setup("jdbc_evolve");
        config["pk.mode"] = "kafka";
        config["auto.create"] = "true";
        config["auto.evolve"] = "true";
        var wider = ValueSchema.Replace("""{"field":"blob","type":"bytes","optional":true}""",
            """{"field":"blob","type":"bytes","optional":true},{"field":"note","type":"string","optional":true}""");
        var later = Row(2, "two", 2, 2m, wider);
        later.Value = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(later.Value!).Replace("\"blob\":", "\"note\":\"new\",\"blob\":"));
        await KafkaTopics.ProduceAsync(fixture.Broker.BootstrapServers, topic, [Row(1, "one", 1, 1m), later]);
        await fixture.Silo.Client.CreateConnectorAsync(name, config);

        await Eventually.Until(() => Committed(name, topic), offset => offset == 2, Timeout, offset => $"committed {offset}\n{fixture.Silo.Log}");
        var rows = await fixture.QueryAsync($"SELECT __connect_topic, __connect_partition, __connect_offset, id, note FROM \"{topic}\" ORDER BY __connect_offset");
        Assert.Equal([topic, 0, 0L, 1L, null], rows[0]);
        Assert.Equal([topic, 0, 1L, 2L, "new"], rows[1]);
    }

    [Fact]
    public async Task A_missing_table_without_auto_create_fails_the_task_as_Confluents_does()
    {
        var (name, topic, config) = Setup("jdbc_missing");
        await KafkaTopics.ProduceAsync(fixture.Broker.BootstrapServers, topic, [Row(1, "one", 1, 1m)]);
        await fixture.Silo.Client.CreateConnectorAsync(name, config);

        var failed = await fixture.Silo.Client.WaitForTaskStateAsync(name, 0, "FAILED", Timeout);
        Assert.Contains($"Table {topic} is missing and auto-creation is disabled", (string?)failed!["tasks"]![0]!["trace"]);
        Assert.True(await Committed(name, topic) < 0);
    }

    [Fact]
    public async Task A_schemaless_value_fails_the_task_with_Confluents_message()
    {
        var (name, topic, config) = Setup("jdbc_schemaless");
        config["value.converter.schemas.enable"] = "false";
        config["key.converter.schemas.enable"] = "false";
        config["auto.create"] = "true";
        await KafkaTopics.ProduceAsync(fixture.Broker.BootstrapServers, topic, [new Message<byte[]?, byte[]?> { Value = Encoding.UTF8.GetBytes("""{"id":1}""") }]);
        await fixture.Silo.Client.CreateConnectorAsync(name, config);

        var failed = await fixture.Silo.Client.WaitForTaskStateAsync(name, 0, "FAILED", Timeout);
        Assert.Contains($"Sink connector '{name}' is configured with 'delete.enabled=false' and 'pk.mode=none' and therefore requires records with a non-null " +
            $"Struct value and non-null Struct schema, but found record at (topic='{topic}',partition=0,offset=0,timestamp=",
            (string?)failed!["tasks"]![0]!["trace"]);
        Assert.Contains("with a java.util.HashMap value and null value schema.", (string?)failed["tasks"]![0]!["trace"]);
    }

    [Fact]
    public async Task A_constraint_violation_fails_the_task_with_the_databases_words_or_goes_to_the_dead_letter_queue_when_tolerated()
    {
        var (name, topic, config) = Setup("jdbc_dup");
        await fixture.ExecuteAsync($"CREATE TABLE \"{topic}\" (id BIGINT PRIMARY KEY, name TEXT, qty INT CHECK (qty < 100), ok BOOLEAN, ratio FLOAT8, price NUMERIC, day DATE, at TIMESTAMP, blob BYTEA)");
        await KafkaTopics.ProduceAsync(fixture.Broker.BootstrapServers, topic, [Row(1, "one", 1, 1m), Row(2, "bad", 500, 2m), Row(3, "three", 3, 3m)]);
        await fixture.Silo.Client.CreateConnectorAsync(name, config);

        var failed = await fixture.Silo.Client.WaitForTaskStateAsync(name, 0, "FAILED", Timeout);
        var trace = (string?)failed!["tasks"]![0]!["trace"];
        Assert.Contains($"Write of 3 records failed: new row for relation \"{topic}\" violates check constraint", trace);
        Assert.Contains("(SQLSTATE 23514)", trace);
        Assert.Empty(await fixture.QueryAsync($"SELECT id FROM \"{topic}\""));
        await fixture.Silo.Client.SendAsync(HttpMethod.Delete, "connectors/" + name);

        // The same records with errors.tolerance=all and a dead letter queue: the bad one goes there, the others in.
        var tolerant = name + "_tolerant";
        var dlq = tolerant + "_dlq";
        fixture.Broker.Broker.CreateTopic(dlq, 1);
        config["errors.tolerance"] = "all";
        config["errors.deadletterqueue.topic.name"] = dlq;
        config["errors.deadletterqueue.topic.replication.factor"] = "1";
        config["errors.deadletterqueue.context.headers.enable"] = "true";
        await fixture.Silo.Client.CreateConnectorAsync(tolerant, config);
        var dead = await KafkaTopics.ReadUntilAsync(fixture.Broker.BootstrapServers, dlq, 1, read => read.Count >= 1, Timeout);
        Assert.Single(dead);
        Assert.Contains("\"bad\"", KafkaTopics.Text(dead[0].Message.Value));
        Assert.Equal("TASK_PUT", KafkaTopics.Header(dead[0], "__connect.errors.stage"));
        Assert.Contains("violates check constraint", KafkaTopics.Header(dead[0], "__connect.errors.exception.message"));
        await Eventually.Until(() => Committed(tolerant, topic), offset => offset == 3, Timeout, offset => $"committed {offset}\n{fixture.Silo.Log}");
        Assert.Equal([1L, 3L], (await fixture.QueryAsync($"SELECT id FROM \"{topic}\" ORDER BY id")).Select(r => (long)r[0]!));
    }

    [Fact]
    public async Task An_unknown_role_is_refused_at_create_with_a_readable_message_and_no_password()
    {
        var (name, _, config) = Setup("jdbc_role");
        config["connection.user"] = "nobody";
        config["connection.password"] = "s3cr3t-pw";
        var create = new JsonObject { ["name"] = name, ["config"] = System.Text.Json.JsonSerializer.SerializeToNode(config) };
        var (status, body) = await fixture.Silo.Client.SendAsync(HttpMethod.Post, "connectors", create.ToJsonString());

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains($"Could not connect to database. PostgreSQL at 127.0.0.1:{fixture.Postgres.Port}/{fixture.Postgres.Database} as user 'nobody' "
            + "refused the login: role \"nobody\" does not exist (SQLSTATE 28000; check connection.user and connection.password)", (string?)body!["message"]);
        Assert.DoesNotContain("s3cr3t-pw", body.ToJsonString());
        Assert.DoesNotContain("s3cr3t-pw", fixture.Silo.Log);
    }

    [Fact]
    public async Task Validation_names_unknown_keys_and_refuses_deletes_without_record_key()
    {
        var (name, _, config) = Setup("jdbc_validate");
        config["name"] = name;
        config["delete.enabled"] = "true";
        config["pk.mode"] = "record_value";
        config["auto.creat"] = "true";
        config["timestamp.fields.list"] = "at";
        var (status, body) = await fixture.Silo.Client.SendAsync(HttpMethod.Put, "connector-plugins/JdbcSinkConnector/config/validate",
            System.Text.Json.JsonSerializer.Serialize(config));
        Assert.Equal(HttpStatusCode.OK, status);
        var errors = body!["configs"]!.AsArray().SelectMany(c => c!["value"]!["errors"]!.AsArray().Select(e => $"{c["value"]!["name"]}: {e}")).ToList();
        Assert.True(3 == (int)body["error_count"]!, string.Join("\n", errors));
        Assert.Contains("delete.enabled: Primary key mode must be 'record_key' when delete support is enabled", errors);
        Assert.Contains("auto.creat: 'auto.creat' is not a configuration key of the JDBC sink (misspelt?); remove it", errors);
        Assert.Contains(errors, e => e.StartsWith("timestamp.fields.list: 'timestamp.fields.list' is a key of Confluent's JDBC sink that this connector does not implement"));
        var password = body["configs"]!.AsArray().Single(c => (string?)c!["value"]!["name"] == "connection.password");
        Assert.Equal("[hidden]", (string?)password!["value"]!["value"]);
    }

    [Fact]
    public async Task A_column_that_cannot_take_the_value_fails_the_task_with_the_databases_words()
    {
        var (name, topic, config) = Setup("jdbc_type");
        await fixture.ExecuteAsync($"CREATE TABLE \"{topic}\" (id BIGINT, name INT, qty INT, ok BOOLEAN, ratio FLOAT8, price NUMERIC, day DATE, at TIMESTAMP, blob BYTEA)");
        await KafkaTopics.ProduceAsync(fixture.Broker.BootstrapServers, topic, [Row(1, "one", 1, 1m)]);
        await fixture.Silo.Client.CreateConnectorAsync(name, config);

        var failed = await fixture.Silo.Client.WaitForTaskStateAsync(name, 0, "FAILED", Timeout);
        Assert.Contains("Write of 1 records failed: column \"name\" is of type integer but expression is of type text (SQLSTATE 42804)", (string?)failed!["tasks"]![0]!["trace"]);
    }

    [Fact]
    public async Task PostgreSQL_restarting_under_the_sink_is_retried_and_every_record_lands_once()
    {
        var (name, topic, config) = Setup("jdbc_restart");
        config["pk.mode"] = "kafka";
        config["auto.create"] = "true";
        config["max.retries"] = "1000";
        config["retry.backoff.ms"] = "300";
        config["connection.attempts"] = "1";
        await KafkaTopics.ProduceAsync(fixture.Broker.BootstrapServers, topic, Enumerable.Range(1, 50).Select(i => Row(i, "r" + i, i, i)));
        await fixture.Silo.Client.CreateConnectorAsync(name, config);
        await Eventually.Until(() => Committed(name, topic), offset => offset == 50, Timeout, offset => $"committed {offset}\n{fixture.Silo.Log}");

        await fixture.Postgres.StopAsync();
        try
        {
            await KafkaTopics.ProduceAsync(fixture.Broker.BootstrapServers, topic, Enumerable.Range(51, 50).Select(i => Row(i, "r" + i, i, i)));
            // The sink retries (RetriableException) and stays RUNNING, its offsets held before the records not written.
            await Eventually.Until(() => Task.FromResult(fixture.Silo.Log), log => log.Contains($"Task {name}-0 put threw a RetriableException"), Timeout, _ => fixture.Silo.Log);
            Assert.Equal(50, await Committed(name, topic));
            var status = await fixture.Silo.Client.StatusAsync(name);
            Assert.Equal("RUNNING", (string?)status!["tasks"]![0]!["state"]);
        }
        finally
        {
            await fixture.Postgres.RestartAsync();
        }
        await Eventually.Until(() => Committed(name, topic), offset => offset == 100, Timeout, offset => $"committed {offset}\n{fixture.Silo.Log}");
        var rows = await fixture.QueryAsync($"SELECT __connect_offset, id FROM \"{topic}\" ORDER BY __connect_offset");
        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"{i}:{i + 1}"), rows.Select(r => $"{r[0]}:{r[1]}"));
    }
}
