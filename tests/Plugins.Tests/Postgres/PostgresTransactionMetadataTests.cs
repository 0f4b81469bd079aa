using System.Text.Json.Nodes;
using OrleansConnect.Connect.Source;
using OrleansConnect.Plugins.Postgres;

namespace OrleansConnect.Tests.Postgres;

/// <summary>provide.transaction.metadata=true: Debezium's BEGIN/END records on &lt;prefix&gt;.transaction and the transaction
/// block of each change event, with the JsonConverter bytes Debezium's schemas give, and a restart inside a transaction
/// that continues its counters.</summary>
public sealed class PostgresTransactionMetadataTests(LogicalPostgres pg) : IClassFixture<LogicalPostgres>
{
    private const string KeySchema = """{"type":"struct","fields":[{"type":"string","optional":false,"field":"id"}],"optional":false,"name":"io.debezium.connector.common.TransactionMetadataKey","version":1}""";

    private const string ValueSchema = """{"type":"struct","fields":[{"type":"string","optional":false,"field":"status"},{"type":"string","optional":false,"field":"id"},"""
        + """{"type":"int64","optional":true,"field":"event_count"},{"type":"array","items":{"type":"struct","fields":[{"type":"string","optional":false,"field":"data_collection"},"""
        + """{"type":"int64","optional":false,"field":"event_count"}],"optional":true,"name":"event.collection","version":1},"optional":true,"field":"data_collections"},"""
        + """{"type":"int64","optional":false,"field":"ts_ms"}],"optional":false,"name":"io.debezium.connector.common.TransactionMetadataValue","version":1}""";

    private static string Suffix() => Guid.NewGuid().ToString("N")[..6];

    private static JsonNode Json(string text) => JsonNode.Parse(text)!;

    private static JsonNode Payload(TaskRunner runner, SourceRecord record) => Json(runner.Value(record))["payload"]!;

    [Fact]
    public async Task Begin_and_end_records_and_each_events_transaction_block_match_Debeziums()
    {
        var s = Suffix();
        var prefix = "tx" + s;
        await pg.ExecuteAsync($"CREATE TABLE public.a_{s} (id int4 PRIMARY KEY, v text); CREATE TABLE public.b_{s} (id int4 PRIMARY KEY, v text)");
        await using var runner = new TaskRunner(pg.Config(prefix, "slot_" + s, ("table.include.list", $"public.a_{s},public.b_{s}"),
            ("publication.autocreate.mode", "filtered"), ("provide.transaction.metadata", "true")), new MemoryOffsets());
        await runner.StartAsync();
        await Infrastructure.Eventually.Until(async () => await pg.ScalarAsync($"SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'slot_{s}' AND active") is 1L,
            TimeSpan.FromSeconds(20), "streaming");
        await pg.ExecuteAsync($"BEGIN; INSERT INTO public.a_{s} VALUES (1, 'x'); INSERT INTO public.b_{s} VALUES (1, 'y'); UPDATE public.a_{s} SET v = 'z'; "
            + $"DELETE FROM public.b_{s}; COMMIT");
        var records = await runner.PollUntilAsync(7);

        Assert.Equal([$"{prefix}.transaction", $"{prefix}.public.a_{s}", $"{prefix}.public.b_{s}", $"{prefix}.public.a_{s}", $"{prefix}.public.b_{s}",
            $"{prefix}.public.b_{s}", $"{prefix}.transaction"], records.Select(r => r.Topic));
        var events = records.Where(r => r.Topic != $"{prefix}.transaction" && r.Value is not null).ToList();
        var xid = (long)Payload(runner, events[0])["source"]!["txId"]!;

        var begin = records[0];
        Assert.Equal(KeySchema, Json(runner.Key(begin))["schema"]!.ToJsonString());
        Assert.Equal(ValueSchema, Json(runner.Value(begin))["schema"]!.ToJsonString());
        var beginValue = Payload(runner, begin);
        var beginId = (string)beginValue["id"]!;
        Assert.StartsWith($"{xid}:", beginId);
        Assert.Equal(beginId, (string?)Json(runner.Key(begin))["payload"]!["id"]);
        Assert.Equal($$"""{"status":"BEGIN","id":"{{beginId}}","event_count":null,"data_collections":null,"ts_ms":{{Payload(runner, events[0])["source"]!["ts_ms"]}}}""",
            beginValue.ToJsonString());
        Assert.Null(begin.KafkaPartition);

        string[] collections = [$"public.a_{s}", $"public.b_{s}", $"public.a_{s}", $"public.b_{s}"];
        long[] collectionOrders = [1, 1, 2, 2];
        for (var i = 0; i < events.Count; i++)
        {
            var payload = Payload(runner, events[i]);
            Assert.Equal($$"""{"id":"{{xid}}:{{payload["source"]!["lsn"]}}","total_order":{{i + 1}},"data_collection_order":{{collectionOrders[i]}}}""",
                payload["transaction"]!.ToJsonString());
            Assert.Equal(xid.ToString(), events[i].SourceOffset![TransactionMetadata.TransactionIdKey]);
            Assert.Equal(collectionOrders[i], events[i].SourceOffset![TransactionMetadata.CollectionOrderPrefix + collections[i]]);
        }

        var end = Payload(runner, records[6]);
        Assert.Equal("END", (string?)end["status"]);
        Assert.StartsWith($"{xid}:", (string?)end["id"]);
        Assert.Equal(4, (long)end["event_count"]!);
        Assert.Equal($$"""[{"data_collection":"public.a_{{s}}","event_count":2},{"data_collection":"public.b_{{s}}","event_count":2}]""",
            end["data_collections"]!.ToJsonString());
        Assert.Equal((long)beginValue["ts_ms"]!, (long)end["ts_ms"]!);
        // The END offset lies past the commit: nothing of the transaction is streamed again from it.
        Assert.True(PostgresSourceTask.Lsn(records[6].SourceOffset!, "lsn_commit") > PostgresSourceTask.Lsn(events[^1].SourceOffset!, "lsn_commit"));
    }

    [Fact]
    public async Task A_restart_inside_a_transaction_continues_its_counters_without_a_second_begin()
    {
        var s = Suffix();
        var prefix = "txr" + s;
        var slot = "slot_" + s;
        await pg.ExecuteAsync($"CREATE TABLE public.t_{s} (id int4 PRIMARY KEY)");
        var offsets = new MemoryOffsets();
        var config = pg.Config(prefix, slot, ("table.include.list", $"public.t_{s}"), ("publication.autocreate.mode", "filtered"),
            ("provide.transaction.metadata", "true"), ("slot.drop.on.stop", "false"));
        string beginId;
        await using (var runner = new TaskRunner(config, offsets))
        {
            await runner.StartAsync();
            await Infrastructure.Eventually.Until(async () => await pg.ScalarAsync($"SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{slot}' AND active") is 1L,
                TimeSpan.FromSeconds(20), "streaming");
            await pg.ExecuteAsync($"INSERT INTO public.t_{s} SELECT generate_series(1, 4)");
            var records = await runner.PollUntilAsync(6);
            beginId = (string)Payload(runner, records[0])["id"]!;
            // Only BEGIN and the first two inserts were committed when the task stopped.
            offsets.Put(records[2].SourcePartition!, records[2].SourceOffset!);
            await runner.Task.CommitAsync(CancellationToken.None);
        }

        config["slot.drop.on.stop"] = "true";
        await using var again = new TaskRunner(config, offsets);
        await again.StartAsync();
        var rest = await again.PollUntilAsync(3);
        Assert.Equal([$"{prefix}.public.t_{s}", $"{prefix}.public.t_{s}", $"{prefix}.transaction"], rest.Select(r => r.Topic));
        Assert.Equal([3L, 4L], rest.Take(2).Select(r => (long)Payload(again, r)["transaction"]!["total_order"]!));
        Assert.Equal([3, 4], rest.Take(2).Select(r => (int)Payload(again, r)["after"]!["id"]!));
        var end = Payload(again, rest[2]);
        Assert.Equal(4, (long)end["event_count"]!);
        Assert.Equal(beginId.Split(':')[0], ((string)end["id"]!).Split(':')[0]);
    }

    [Fact]
    public async Task A_transaction_the_publication_sends_without_a_captured_change_gets_begin_and_an_empty_end()
    {
        var s = Suffix();
        var prefix = "txe" + s;
        var slot = "slot_" + s;
        await pg.ExecuteAsync($"CREATE TABLE public.kept_{s} (id int4 PRIMARY KEY); CREATE TABLE public.other_{s} (id int4 PRIMARY KEY)");
        // all_tables: the server sends the other table's changes too; the connector's filter leaves them out.
        await using var runner = new TaskRunner(pg.Config(prefix, slot, ("table.include.list", $"public.kept_{s}"),
            ("publication.autocreate.mode", "all_tables"), ("publication.name", "pub_all_" + s), ("provide.transaction.metadata", "true")), new MemoryOffsets());
        await runner.StartAsync();
        await Infrastructure.Eventually.Until(async () => await pg.ScalarAsync($"SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{slot}' AND active") is 1L,
            TimeSpan.FromSeconds(20), "streaming");
        await pg.ExecuteAsync($"INSERT INTO public.other_{s} VALUES (1)");
        var records = await runner.PollUntilAsync(2);
        Assert.Equal([$"{prefix}.transaction", $"{prefix}.transaction"], records.Select(r => r.Topic));
        Assert.Equal("BEGIN", (string?)Payload(runner, records[0])["status"]);
        var end = Payload(runner, records[1]);
        Assert.Equal("END", (string?)end["status"]);
        Assert.Equal(0, (long)end["event_count"]!);
        Assert.Equal("[]", end["data_collections"]!.ToJsonString());
    }

    [Fact]
    public async Task Without_the_option_events_carry_no_transaction_block_and_no_transaction_records_are_written()
    {
        var s = Suffix();
        var prefix = "txn" + s;
        await pg.ExecuteAsync($"CREATE TABLE public.n_{s} (id int4 PRIMARY KEY); INSERT INTO public.n_{s} VALUES (1)");
        await using var runner = new TaskRunner(pg.Config(prefix, "slot_" + s, ("table.include.list", $"public.n_{s}")), new MemoryOffsets());
        await runner.StartAsync();
        await runner.PollUntilAsync(1);
        await pg.ExecuteAsync($"INSERT INTO public.n_{s} VALUES (2)");
        var records = await runner.PollUntilAsync(2);
        Assert.All(records, r => Assert.Equal($"{prefix}.public.n_{s}", r.Topic));
        Assert.Null(Payload(runner, records[1])["transaction"]);
        Assert.DoesNotContain(TransactionMetadata.TransactionIdKey, records[1].SourceOffset!.Keys);
    }
}
