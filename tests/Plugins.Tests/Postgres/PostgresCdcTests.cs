using System.Text.Json.Nodes;
using Npgsql.Replication.PgOutput;
using Npgsql.Replication;
using OrleansConnect.Connect.Source;
using OrleansConnect.Plugins.Postgres;

namespace OrleansConnect.Tests.Postgres;

/// <summary>The PostgreSQL source task against a real PostgreSQL 15 with wal_level=logical: snapshot, streaming,
/// Debezium's JsonConverter bytes (golden records built from the reference's facts), offsets and restarts.</summary>
public sealed class PostgresCdcTests(LogicalPostgres pg) : IClassFixture<LogicalPostgres>
{
    private static string Suffix() => Guid.NewGuid().ToString("N")[..6];

    private static readonly string SourceSchema =
        """{"type":"struct","fields":[{"type":"string","optional":false,"field":"version"},{"type":"string","optional":false,"field":"connector"},"""
        + """{"type":"string","optional":false,"field":"name"},{"type":"int64","optional":false,"field":"ts_ms"},"""
        + """{"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"true,first,first_in_data_collection,last_in_data_collection,last,false,incremental"},"default":"false","field":"snapshot"},"""
        + """{"type":"string","optional":false,"field":"db"},{"type":"string","optional":true,"field":"sequence"},{"type":"int64","optional":true,"field":"ts_us"},"""
        + """{"type":"int64","optional":true,"field":"ts_ns"},{"type":"string","optional":false,"field":"schema"},{"type":"string","optional":false,"field":"table"},"""
        + """{"type":"int64","optional":true,"field":"txId"},{"type":"int64","optional":true,"field":"lsn"},{"type":"int64","optional":true,"field":"xmin"}],"optional":false,"""
        + """ "name":"io.debezium.connector.postgresql.Source","version":1,"field":"source"}""".TrimStart();

    private static readonly string TransactionSchema =
        """{"type":"struct","fields":[{"type":"string","optional":false,"field":"id"},{"type":"int64","optional":false,"field":"total_order"},"""
        + """{"type":"int64","optional":false,"field":"data_collection_order"}],"optional":true,"name":"event.block","version":1,"field":"transaction"}""";

    private static string CustomersEnvelopeSchema(string topic)
    {
        var value = """{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":false,"field":"name"},"""
            + """{"type":"string","optional":true,"field":"email"}],"optional":true,"name":"TOPIC.Value","field":"FIELD"}""";
        return """{"type":"struct","fields":[""" + value.Replace("TOPIC", topic).Replace("FIELD", "before") + ","
            + value.Replace("TOPIC", topic).Replace("FIELD", "after") + "," + SourceSchema + "," + TransactionSchema + ","
            + """{"type":"string","optional":false,"field":"op"},{"type":"int64","optional":true,"field":"ts_ms"},{"type":"int64","optional":true,"field":"ts_us"},"""
            + """{"type":"int64","optional":true,"field":"ts_ns"}],"optional":false,"name":"TOPIC.Envelope","version":2}""".Replace("TOPIC", topic);
    }

    private string Golden(string topic, string table, string op, string? before, string? after, string snapshot) =>
        "{\"schema\":" + CustomersEnvelopeSchema(topic) + ",\"payload\":{\"before\":" + (before ?? "null") + ",\"after\":" + (after ?? "null")
        + ",\"source\":{\"version\":\"VERSION\",\"connector\":\"postgresql\",\"name\":\"" + topic.Split('.')[0] + "\",\"ts_ms\":\"T\",\"snapshot\":\"" + snapshot
        + "\",\"db\":\"" + pg.Server.Database + "\",\"sequence\":\"SEQUENCE\",\"ts_us\":\"T\",\"ts_ns\":\"T\",\"schema\":\"public\",\"table\":\"" + table
        + "\",\"txId\":\"TXID\",\"lsn\":\"LSN\",\"xmin\":null},\"transaction\":null,\"op\":\"" + op + "\",\"ts_ms\":\"T\",\"ts_us\":\"T\",\"ts_ns\":\"T\"}}";

    [Fact]
    public async Task Snapshot_then_inserts_updates_deletes_and_truncates_match_Debeziums_records()
    {
        var s = Suffix();
        var table = "customers_" + s;
        await pg.ExecuteAsync($"CREATE TABLE public.{table} (id int4 PRIMARY KEY, name text NOT NULL, email varchar(100)); "
            + $"INSERT INTO public.{table} VALUES (1, 'Ann', 'ann@example.com'), (2, 'Bob', NULL)");
        var prefix = "dbserver" + s;
        var topic = $"{prefix}.public.{table}";
        await using var runner = new TaskRunner(pg.Config(prefix, "slot_" + s, ("table.include.list", "public." + table),
            ("publication.autocreate.mode", "filtered"), ("skipped.operations", "none")), new MemoryOffsets());
        await runner.StartAsync();

        var snapshot = await runner.PollUntilAsync(2);
        Assert.All(snapshot, r => Assert.Equal(topic, r.Topic));
        Assert.Equal("""{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}],"optional":false,"name":"TOPIC.Key"},"payload":{"id":1}}""".Replace("TOPIC", topic),
            runner.Key(snapshot[0]));
        Assert.Equal(Golden(topic, table, "r", null, """{"id":1,"name":"Ann","email":"ann@example.com"}""", "first"), runner.Normalized(snapshot[0]));
        Assert.Equal(Golden(topic, table, "r", null, """{"id":2,"name":"Bob","email":null}""", "last"), runner.Normalized(snapshot[1]));
        Assert.Equal("INITIAL", snapshot[1].SourceOffset!["snapshot"]);
        Assert.Equal(true, snapshot[1].SourceOffset!["last_snapshot_record"]);
        Assert.Equal(new Dictionary<string, object?> { ["server"] = prefix }, snapshot[1].SourcePartition);

        await pg.ExecuteAsync($"INSERT INTO public.{table} VALUES (3, 'Cy', 'cy@example.com'); UPDATE public.{table} SET name = 'Bobby' WHERE id = 2; "
            + $"DELETE FROM public.{table} WHERE id = 1; UPDATE public.{table} SET id = 30 WHERE id = 3; TRUNCATE public.{table}");
        // c, u, d + tombstone, PK change (d + tombstone + c), t
        var all = await runner.PollUntilAsync(2 + 8);
        var stream = all.Skip(2).ToList();
        Assert.Equal(Golden(topic, table, "c", null, """{"id":3,"name":"Cy","email":"cy@example.com"}""", "false"), runner.Normalized(stream[0]));
        Assert.Equal(Golden(topic, table, "u", null, """{"id":2,"name":"Bobby","email":null}""", "false"), runner.Normalized(stream[1]));
        // REPLICA IDENTITY DEFAULT: the old row carries its key; the other columns take their type's default when required.
        Assert.Equal(Golden(topic, table, "d", """{"id":1,"name":"","email":null}""", null, "false"), runner.Normalized(stream[2]));
        Assert.Null(stream[3].Value);
        Assert.Null(stream[3].ValueSchema);
        Assert.Equal(runner.Key(stream[2]), runner.Key(stream[3]));
        Assert.Equal("d", ((OrleansConnect.Connect.Data.Struct)stream[4].Value!).GetString("op"));
        Assert.Equal("""{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}],"optional":false,"name":"TOPIC.Key"},"payload":{"id":3}}""".Replace("TOPIC", topic),
            runner.Key(stream[4]));
        Assert.NotNull(stream[4].Headers.LastWithName("__debezium.newkey"));
        Assert.Null(stream[5].Value);
        Assert.Equal(Golden(topic, table, "c", null, """{"id":30,"name":"Cy","email":"cy@example.com"}""", "false"), runner.Normalized(stream[6]));
        Assert.NotNull(stream[6].Headers.LastWithName("__debezium.oldkey"));
        var truncate = JsonNode.Parse(runner.Value(stream[7]))!["payload"]!;
        Assert.Equal("t", (string?)truncate["op"]);
        Assert.Null(truncate["before"]);
        Assert.Null(truncate["after"]);
        Assert.Null(stream[7].Key);
        Assert.All(stream, r => Assert.Equal("postgresql", ((OrleansConnect.Connect.Data.Struct?)r.Value)?.GetStruct("source")?.GetString("connector") ?? "postgresql"));
        var offset = stream[0].SourceOffset!;
        Assert.Equal(new[] { "lsn_proc", "messageType", "lsn_commit", "lsn", "txId", "ts_usec" }, offset.Keys);
        Assert.Equal("INSERT", offset["messageType"]);
    }

    public static TheoryData<string, string, string, string> Types => new()
    {
        // column type, SQL literal, the field's schema (JsonConverter), the value
        { "int2", "7", """{"type":"int16","optional":true,"field":"c"}""", "7" },
        { "int4", "-42", """{"type":"int32","optional":true,"field":"c"}""", "-42" },
        { "int8", "9000000000", """{"type":"int64","optional":true,"field":"c"}""", "9000000000" },
        { "numeric(10,2)", "12.3", """{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2","connect.decimal.precision":"10"},"field":"c"}""", "\"BM4=\"" },
        { "numeric", "3.14159", """{"type":"struct","fields":[{"type":"int32","optional":false,"field":"scale"},{"type":"bytes","optional":false,"field":"value"}],"optional":true,"name":"io.debezium.data.VariableScaleDecimal","version":1,"doc":"Variable scaled decimal","field":"c"}""", """{"scale":5,"value":"BMsv"}""" },
        { "float4", "1.5", """{"type":"float","optional":true,"field":"c"}""", "1.5" },
        { "float8", "2.25", """{"type":"double","optional":true,"field":"c"}""", "2.25" },
        { "bool", "true", """{"type":"boolean","optional":true,"field":"c"}""", "true" },
        { "text", "'hello'", """{"type":"string","optional":true,"field":"c"}""", "\"hello\"" },
        { "varchar(20)", "'vc'", """{"type":"string","optional":true,"field":"c"}""", "\"vc\"" },
        { "char(3)", "'ab'", """{"type":"string","optional":true,"field":"c"}""", "\"ab \"" },
        { "date", "'2024-03-01'", """{"type":"int32","optional":true,"name":"io.debezium.time.Date","version":1,"field":"c"}""", "19783" },
        { "time", "'12:34:56.789012'", """{"type":"int64","optional":true,"name":"io.debezium.time.MicroTime","version":1,"field":"c"}""", "45296789012" },
        { "time(3)", "'12:34:56.789'", """{"type":"int32","optional":true,"name":"io.debezium.time.Time","version":1,"field":"c"}""", "45296789" },
        { "timestamp", "'2024-03-01 12:34:56.789012'", """{"type":"int64","optional":true,"name":"io.debezium.time.MicroTimestamp","version":1,"field":"c"}""", "1709296496789012" },
        { "timestamp(3)", "'2024-03-01 12:34:56.789'", """{"type":"int64","optional":true,"name":"io.debezium.time.Timestamp","version":1,"field":"c"}""", "1709296496789" },
        { "timestamptz", "'2024-03-01 12:34:56.789+02'", """{"type":"string","optional":true,"name":"io.debezium.time.ZonedTimestamp","version":1,"field":"c"}""", "\"2024-03-01T10:34:56.789000Z\"" },
        { "uuid", "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'", """{"type":"string","optional":true,"name":"io.debezium.data.Uuid","version":1,"field":"c"}""", "\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"" },
        { "json", "'{\"a\": 1}'", """{"type":"string","optional":true,"name":"io.debezium.data.Json","version":1,"field":"c"}""", "\"{\\\"a\\\": 1}\"" },
        { "jsonb", "'{\"b\":[1,2]}'", """{"type":"string","optional":true,"name":"io.debezium.data.Json","version":1,"field":"c"}""", "\"{\\\"b\\\": [1, 2]}\"" },
        { "bytea", "'\\x0102ff'", """{"type":"bytes","optional":true,"field":"c"}""", "\"AQL/\"" },
        { "mood_enum", "'happy'", """{"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"sad,ok,happy"},"field":"c"}""", "\"happy\"" },
        { "int4[]", "'{1,2,NULL}'", """{"type":"array","items":{"type":"int32","optional":true},"optional":true,"field":"c"}""", "[1,2,null]" },
        { "text[]", "'{\"x y\",z}'", """{"type":"array","items":{"type":"string","optional":true},"optional":true,"field":"c"}""", "[\"x y\",\"z\"]" },
    };

    [Theory]
    [MemberData(nameof(Types))]
    public async Task Each_type_has_Debeziums_schema_and_value_in_snapshot_and_stream(string type, string literal, string schema, string value)
    {
        var s = Suffix();
        var table = "t_" + s;
        if (type == "mood_enum") await pg.ExecuteAsync($"DO $$ BEGIN CREATE TYPE mood_enum AS ENUM ('sad', 'ok', 'happy'); EXCEPTION WHEN duplicate_object THEN NULL; END $$");
        await pg.ExecuteAsync($"CREATE TABLE public.{table} (id int4 PRIMARY KEY, c {type}); INSERT INTO public.{table} VALUES (1, {literal})");
        await using var runner = new TaskRunner(pg.Config("p" + s, "slot_" + s, ("table.include.list", "public." + table),
            ("publication.autocreate.mode", "filtered")), new MemoryOffsets());
        await runner.StartAsync();
        await runner.PollUntilAsync(1);
        await pg.ExecuteAsync($"INSERT INTO public.{table} VALUES (2, {literal})");
        var records = await runner.PollUntilAsync(2);

        foreach (var record in records)
        {
            var json = JsonNode.Parse(runner.Value(record))!;
            var afterFields = json["schema"]!["fields"]![1]!["fields"]!.AsArray();
            Assert.Equal(schema, afterFields[1]!.ToJsonString());
            Assert.Equal(value, json["payload"]!["after"]!["c"]!.ToJsonString(TaskRunner.Relaxed));
        }
    }

    [Theory]
    [InlineData("double", """{"type":"double","optional":true,"field":"c"}""", "12.3")]
    [InlineData("string", """{"type":"string","optional":true,"field":"c"}""", "\"12.30\"")]
    public async Task Decimal_handling_modes(string mode, string schema, string value)
    {
        var s = Suffix();
        var table = "d_" + s;
        await pg.ExecuteAsync($"CREATE TABLE public.{table} (id int4 PRIMARY KEY, c numeric(10,2)); INSERT INTO public.{table} VALUES (1, 12.3)");
        await using var runner = new TaskRunner(pg.Config("p" + s, "slot_" + s, ("table.include.list", "public." + table),
            ("decimal.handling.mode", mode)), new MemoryOffsets());
        await runner.StartAsync();
        var json = JsonNode.Parse(runner.Value((await runner.PollUntilAsync(1))[0]))!;
        Assert.Equal(schema, json["schema"]!["fields"]![1]!["fields"]![1]!.ToJsonString());
        Assert.Equal(value, json["payload"]!["after"]!["c"]!.ToJsonString(TaskRunner.Relaxed));
    }

    [Fact]
    public async Task Unchanged_toast_values_become_the_placeholder()
    {
        var s = Suffix();
        var table = "toast_" + s;
        await pg.ExecuteAsync($"CREATE TABLE public.{table} (id int4 PRIMARY KEY, n int4, big text); ALTER TABLE public.{table} ALTER COLUMN big SET STORAGE EXTERNAL; "
            + $"INSERT INTO public.{table} VALUES (1, 1, repeat('x', 10000))");
        await using var runner = new TaskRunner(pg.Config("p" + s, "slot_" + s, ("table.include.list", "public." + table)), new MemoryOffsets());
        await runner.StartAsync();
        await runner.PollUntilAsync(1);
        await pg.ExecuteAsync($"UPDATE public.{table} SET n = 2 WHERE id = 1");
        var records = await runner.PollUntilAsync(2);
        var after = JsonNode.Parse(runner.Value(records[1]))!["payload"]!["after"]!;
        Assert.Equal(2, (int)after["n"]!);
        Assert.Equal("__debezium_unavailable_value", (string?)after["big"]);
        Assert.Equal(10000, ((string?)JsonNode.Parse(runner.Value(records[0]))!["payload"]!["after"]!["big"])!.Length);
    }

    [Fact]
    public async Task A_restart_resumes_from_committed_offsets_without_loss_or_repeats_and_confirms_the_slot()
    {
        var s = Suffix();
        var table = "r_" + s;
        var slot = "slot_" + s;
        await pg.ExecuteAsync($"CREATE TABLE public.{table} (id int4 PRIMARY KEY); INSERT INTO public.{table} SELECT generate_series(1, 5)");
        var offsets = new MemoryOffsets();
        var config = pg.Config("p" + s, slot, ("table.include.list", "public." + table), ("slot.drop.on.stop", "false"));
        var runner = new TaskRunner(config, offsets);
        await runner.StartAsync();
        await runner.PollUntilAsync(5);
        await pg.ExecuteAsync($"INSERT INTO public.{table} SELECT generate_series(6, 10)");
        await runner.PollUntilAsync(10);
        await runner.CommitAsync();
        var committedCommit = PostgresSourceTask.Lsn(runner.Records[^1].SourceOffset!, "lsn_commit")!.Value;
        // The flushed position reaches the slot once the offsets are committed.
        await Infrastructure.Eventually.Until(async () => await ConfirmedAsync(slot) >= committedCommit, TimeSpan.FromSeconds(20),
            $"slot {slot} confirmed up to {committedCommit}");
        await runner.DisposeAsync();

        // Changes while the task is down, among them a transaction of several rows.
        await pg.ExecuteAsync($"INSERT INTO public.{table} SELECT generate_series(11, 15); DELETE FROM public.{table} WHERE id = 1");
        config["slot.drop.on.stop"] = "true";
        await using var again = new TaskRunner(config, offsets);
        await again.StartAsync();
        var records = await again.PollUntilAsync(7);
        var ids = records.Where(r => r.Value is not null)
            .Select(r => ((OrleansConnect.Connect.Data.Struct)r.Value!)).Select(e => (e.GetString("op"), (e.GetStruct("after") ?? e.GetStruct("before"))!.GetInt32("id"))).ToList();
        Assert.Equal([("c", 11), ("c", 12), ("c", 13), ("c", 14), ("c", 15), ("d", 1)], ids.Select(x => (x.Item1!, x.Item2!.Value)).ToList());
        Assert.Empty(await PollMoreAsync(again));
    }

    [Fact]
    public async Task An_idle_slot_advances_while_other_tables_change()
    {
        var s = Suffix();
        var slot = "slot_" + s;
        await pg.ExecuteAsync($"CREATE TABLE public.idle_{s} (id int4 PRIMARY KEY); CREATE TABLE public.busy_{s} (id serial PRIMARY KEY, v text)");
        await using var runner = new TaskRunner(pg.Config("p" + s, slot, ("table.include.list", $"public.idle_{s}"),
            ("publication.autocreate.mode", "filtered")), new MemoryOffsets());
        await runner.StartAsync();
        await Infrastructure.Eventually.Until(async () => await ConfirmedAsync(slot) > 0, TimeSpan.FromSeconds(20), "slot created");
        var before = await ConfirmedAsync(slot);
        await pg.ExecuteAsync($"INSERT INTO public.busy_{s} (v) SELECT 'x' FROM generate_series(1, 1000)");
        var written = ulong.Parse(((string)(await pg.ScalarAsync("SELECT (pg_current_wal_lsn() - '0/0')::text"))!).Split('.')[0]);
        await Infrastructure.Eventually.Until(async () =>
        {
            await runner.Task.PollAsync(CancellationToken.None);
            return await ConfirmedAsync(slot) >= written;
        }, TimeSpan.FromSeconds(30), $"slot {slot} advanced from {before} past {written} without any captured change");
        Assert.Empty(runner.Records);
    }

    [Fact]
    public async Task A_missing_publication_with_autocreate_disabled_fails_the_start_with_a_clear_message()
    {
        var s = Suffix();
        await using var runner = new TaskRunner(pg.Config("p" + s, "slot_" + s, ("publication.autocreate.mode", "disabled")), new MemoryOffsets());
        var e = await Assert.ThrowsAnyAsync<Exception>(runner.StartAsync);
        Assert.Contains($"Publication 'pub_slot_{s}' does not exist and publication.autocreate.mode is disabled", e.Message);
    }

    [Fact]
    public async Task An_unknown_database_fails_the_start_naming_the_setting()
    {
        var s = Suffix();
        await using var runner = new TaskRunner(pg.Config("p" + s, "slot_" + s, ("database.dbname", "nope_" + s)), new MemoryOffsets());
        var e = await Assert.ThrowsAnyAsync<Exception>(runner.StartAsync);
        Assert.Contains($"database 'nope_{s}' does not exist", e.Message);
        Assert.Contains("database.dbname", e.Message);
    }

    [Fact]
    public async Task A_slot_another_process_streams_from_fails_the_start_naming_the_slot_and_a_start_after_it_left_succeeds()
    {
        var s = Suffix();
        var slot = "slot_" + s;
        var table = "busy_" + s;
        await pg.ExecuteAsync($"CREATE TABLE public.{table} (id int4 PRIMARY KEY); CREATE PUBLICATION pub_{slot} FOR TABLE public.{table}");
        await pg.ExecuteAsync($"SELECT pg_create_logical_replication_slot('{slot}', 'pgoutput')");
        var config = pg.Config("p" + s, slot, ("table.include.list", "public." + table), ("publication.autocreate.mode", "disabled"));

        // Another client streams from the slot.
        using var other = new CancellationTokenSource();
        var otherReader = System.Threading.Tasks.Task.Run(async () =>
        {
            await using var replication = new Npgsql.Replication.LogicalReplicationConnection(pg.Server.ConnectionString.Replace(";Pooling=true", ""));
            await replication.Open(other.Token);
            var options = new Npgsql.Replication.PgOutput.PgOutputReplicationOptions("pub_" + slot, Npgsql.Replication.PgOutput.PgOutputProtocolVersion.V1);
            try
            {
                await foreach (var _ in replication.StartReplication(new Npgsql.Replication.PgOutput.PgOutputReplicationSlot(slot), options, other.Token)) { }
            }
            catch (OperationCanceledException) { }
        });
        await Infrastructure.Eventually.Until(async () => await pg.ScalarAsync($"SELECT active FROM pg_replication_slots WHERE slot_name = '{slot}'") is true,
            TimeSpan.FromSeconds(20), "the other client streams from the slot");

        await using (var runner = new TaskRunner(config, new MemoryOffsets()))
        {
            var e = await Assert.ThrowsAnyAsync<Exception>(runner.StartAsync);
            Assert.Contains($"Replication slot '{slot}' is active for PID", e.Message);
            Assert.Contains("each connector needs its own slot.name", e.Message);
        }

        // Once the other client has gone, the next start (the automatic restart's) streams.
        await other.CancelAsync();
        await otherReader;
        await Infrastructure.Eventually.Until(async () => await pg.ScalarAsync($"SELECT active FROM pg_replication_slots WHERE slot_name = '{slot}'") is false,
            TimeSpan.FromSeconds(20), "the slot is free again");
        await using var again = new TaskRunner(config, new MemoryOffsets());
        await again.StartAsync();
        await Infrastructure.Eventually.Until(async () => await pg.ScalarAsync($"SELECT active FROM pg_replication_slots WHERE slot_name = '{slot}'") is true,
            TimeSpan.FromSeconds(20), "the task streams");
        await pg.ExecuteAsync($"INSERT INTO public.{table} VALUES (1)");
        var records = await again.PollUntilAsync(1);
        Assert.Equal("c", ((OrleansConnect.Connect.Data.Struct)records[0].Value!).GetString("op"));
    }

    [Fact]
    public async Task A_table_without_a_primary_key_under_replica_identity_default_emits_creates_with_a_null_key_and_full_identity_adds_updates_and_deletes()
    {
        var s = Suffix();
        var table = "nokey_" + s;
        await pg.ExecuteAsync($"CREATE TABLE public.{table} (id int4 NOT NULL, note text)");
        await using var runner = new TaskRunner(pg.Config("p" + s, "slot_" + s, ("table.include.list", "public." + table),
            ("publication.autocreate.mode", "filtered")), new MemoryOffsets());
        await runner.StartAsync();
        // Streaming (the slot is active once the empty snapshot is done).
        await Infrastructure.Eventually.Until(async () => await pg.ScalarAsync($"SELECT active FROM pg_replication_slots WHERE slot_name = 'slot_{s}'") is true,
            TimeSpan.FromSeconds(20), "the task streams");
        await pg.ExecuteAsync($"INSERT INTO public.{table} VALUES (1, 'a')");
        var created = await runner.PollUntilAsync(1);
        Assert.Null(created[0].Key);
        Assert.Null(created[0].KeySchema);
        Assert.Equal("c", ((OrleansConnect.Connect.Data.Struct)created[0].Value!).GetString("op"));

        // As with Debezium, such a table yields only creates: PostgreSQL itself refuses its updates and deletes while
        // the publication publishes them, saying what to do.
        var refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => pg.ExecuteAsync($"UPDATE public.{table} SET note = 'b'"));
        Assert.Equal("55000", refused.SqlState);
        Assert.Contains("does not have a replica identity", refused.MessageText);

        await pg.ExecuteAsync($"ALTER TABLE public.{table} REPLICA IDENTITY FULL");
        await pg.ExecuteAsync($"UPDATE public.{table} SET note = 'b' WHERE id = 1; DELETE FROM public.{table} WHERE id = 1");
        var all = await runner.PollUntilAsync(1 + 3);
        var update = (OrleansConnect.Connect.Data.Struct)all[1].Value!;
        Assert.Equal("u", update.GetString("op"));
        Assert.Equal("a", update.GetStruct("before")!.GetString("note"));
        Assert.Equal("b", update.GetStruct("after")!.GetString("note"));
        var delete = (OrleansConnect.Connect.Data.Struct)all[2].Value!;
        Assert.Equal("d", delete.GetString("op"));
        Assert.Equal("b", delete.GetStruct("before")!.GetString("note"));
        Assert.All(all, r => Assert.Null(r.Key));
        Assert.Null(all[3].Value); // the tombstone, with a null key like the delete
    }

    private async Task<ulong> ConfirmedAsync(string slot) =>
        await pg.ScalarAsync($"SELECT (confirmed_flush_lsn - '0/0')::text FROM pg_replication_slots WHERE slot_name = '{slot}'") is string text
            ? ulong.Parse(text.Split('.')[0]) : 0;

    private static async Task<List<SourceRecord>> PollMoreAsync(TaskRunner runner)
    {
        var more = new List<SourceRecord>();
        for (var i = 0; i < 5; i++) more.AddRange(await runner.Task.PollAsync(CancellationToken.None) ?? []);
        return more;
    }
}

/// <summary>A server without logical decoding is refused with the setting to change.</summary>
public sealed class PostgresWithoutLogicalDecodingTests : IAsyncLifetime
{
    private readonly Infrastructure.PostgresServer _server = new() { MaxConnections = 20 };

    public Task InitializeAsync() => _server.InitializeAsync();
    public Task DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task Wal_level_replica_fails_the_start_saying_what_to_set()
    {
        var config = new Dictionary<string, string>
        {
            ["database.hostname"] = "127.0.0.1", ["database.port"] = _server.Port.ToString(), ["database.user"] = "postgres",
            ["database.dbname"] = _server.Database, ["topic.prefix"] = "x",
        };
        await using var runner = new TaskRunner(config, new MemoryOffsets());
        var e = await Assert.ThrowsAnyAsync<Exception>(runner.StartAsync);
        Assert.Contains("wal_level=replica", e.Message);
        Assert.Contains("wal_level=logical", e.Message);
    }
}
