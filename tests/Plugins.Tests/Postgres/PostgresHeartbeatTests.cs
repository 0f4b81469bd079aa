using OrleansConnect.Connect.Source;
using OrleansConnect.Plugins.Postgres;
using OrleansConnect.Tests.Infrastructure;

namespace OrleansConnect.Tests.Postgres;

/// <summary>heartbeat.interval.ms: Debezium's heartbeat records on __debezium-heartbeat.&lt;prefix&gt;, carrying the current
/// offset so that, committed, they move the slot while the captured tables are idle; heartbeat.action.query each beat.</summary>
public sealed class PostgresHeartbeatTests(LogicalPostgres pg) : IClassFixture<LogicalPostgres>
{
    private static string Suffix() => Guid.NewGuid().ToString("N")[..6];

    private async Task<ulong> ConfirmedAsync(string slot) =>
        await pg.ScalarAsync($"SELECT (confirmed_flush_lsn - '0/0')::text FROM pg_replication_slots WHERE slot_name = '{slot}'") is string text
            ? ulong.Parse(text.Split('.')[0]) : 0;

    private async Task<ulong> WalPositionAsync() => ulong.Parse(((string)(await pg.ScalarAsync("SELECT (pg_current_wal_lsn() - '0/0')::text"))!).Split('.')[0]);

    [Fact]
    public async Task Idle_captured_tables_get_heartbeats_whose_committed_offsets_advance_the_slot_past_other_tables_wal()
    {
        var s = Suffix();
        var slot = "slot_" + s;
        var prefix = "hb" + s;
        await pg.ExecuteAsync($"CREATE TABLE public.idle_{s} (id int4 PRIMARY KEY); INSERT INTO public.idle_{s} VALUES (1); "
            + $"CREATE TABLE public.busy_{s} (id serial PRIMARY KEY, v text)");
        var offsets = new MemoryOffsets();
        await using (var runner = new TaskRunner(pg.Config(prefix, slot, ("table.include.list", $"public.idle_{s}"),
            ("publication.autocreate.mode", "filtered"), ("heartbeat.interval.ms", "200"),
            ("heartbeat.action.query", $"INSERT INTO public.busy_{s} (v) VALUES ('heartbeat')"), ("slot.drop.on.stop", "false")), offsets))
        {
            await runner.StartAsync();
            await runner.PollUntilAsync(1);
            await runner.CommitAsync();

            // Only a table the connector does not capture changes.
            await pg.ExecuteAsync($"INSERT INTO public.busy_{s} (v) SELECT 'x' FROM generate_series(1, 1000)");
            var written = await WalPositionAsync();
            await Eventually.Until(async () =>
            {
                var batch = await runner.Task.PollAsync(CancellationToken.None);
                if (batch is not null) runner.Records.AddRange(batch);
                await runner.CommitAsync();
                return await ConfirmedAsync(slot) >= written
                    && offsets.Offset(runner.Records[0].SourcePartition!) is { } committed && PostgresSourceTask.Lsn(committed, "lsn_commit") >= written;
            }, TimeSpan.FromSeconds(30), $"the committed offset and slot {slot} advanced past {written} through heartbeats");

            var beats = runner.Records.Skip(1).ToList();
            Assert.NotEmpty(beats);
            Assert.All(beats, beat =>
            {
                Assert.Equal("__debezium-heartbeat." + prefix, beat.Topic);
                Assert.Equal(0, beat.KafkaPartition);
                Assert.Equal(new Dictionary<string, object?> { ["server"] = prefix }, beat.SourcePartition!, SourcePartitionComparer.Instance);
                Assert.Equal("""{"schema":{"type":"struct","fields":[{"type":"string","optional":false,"field":"serverName"}],"optional":false,"""
                    + "\"name\":\"io.debezium.connector.common.ServerNameKey\",\"version\":1},\"payload\":{\"serverName\":\"" + prefix + "\"}}",
                    runner.Key(beat));
                var value = System.Text.Json.Nodes.JsonNode.Parse(runner.Value(beat))!;
                Assert.Equal("""{"type":"struct","fields":[{"type":"int64","optional":false,"field":"ts_ms"}],"optional":false,"name":"io.debezium.connector.common.Heartbeat","version":1}""",
                    value["schema"]!.ToJsonString());
                Assert.InRange((long)value["payload"]!["ts_ms"]!, DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            });
            // The offsets stay Debezium's streaming offsets, so a restart resumes there.
            var last = beats[^1].SourceOffset!;
            Assert.Equal(["lsn_proc", "messageType", "lsn_commit", "lsn", "txId", "ts_usec"], last.Keys);
            Assert.True((long)(await pg.ScalarAsync($"SELECT count(*) FROM public.busy_{s} WHERE v = 'heartbeat'"))! > 0, "heartbeat.action.query ran");
        }

        // A change after heartbeats is not lost by resuming from a heartbeat's offset.
        await pg.ExecuteAsync($"INSERT INTO public.idle_{s} VALUES (2)");
        await using var again = new TaskRunner(pg.Config(prefix, slot, ("table.include.list", $"public.idle_{s}"),
            ("publication.autocreate.mode", "filtered"), ("topic.heartbeat.prefix", "beats"), ("heartbeat.interval.ms", "200")), offsets);
        await again.StartAsync();
        var records = await Eventually.Until(async () =>
        {
            again.Records.AddRange(await again.Task.PollAsync(CancellationToken.None) ?? []);
            return again.Records;
        }, r => r.Any(x => x.Topic == "beats." + prefix) && r.Any(x => x.Topic != "beats." + prefix), TimeSpan.FromSeconds(30),
            r => $"a change and a heartbeat after the restart; got {r?.Count} records");
        var change = Assert.Single(records, r => r.Topic == $"{prefix}.public.idle_{s}");
        Assert.Equal("c", ((OrleansConnect.Connect.Data.Struct)change.Value!).GetString("op"));
        Assert.Contains(records, r => r.Topic == "beats." + prefix);
    }

    [Fact]
    public async Task Without_heartbeat_interval_no_heartbeat_records_are_written()
    {
        var s = Suffix();
        await pg.ExecuteAsync($"CREATE TABLE public.quiet_{s} (id int4 PRIMARY KEY); INSERT INTO public.quiet_{s} VALUES (1)");
        await using var runner = new TaskRunner(pg.Config("q" + s, "slot_" + s, ("table.include.list", $"public.quiet_{s}"),
            ("publication.autocreate.mode", "filtered")), new MemoryOffsets());
        await runner.StartAsync();
        await runner.PollUntilAsync(1);
        await runner.CommitAsync();
        for (var i = 0; i < 10; i++) runner.Records.AddRange(await runner.Task.PollAsync(CancellationToken.None) ?? []);
        Assert.Single(runner.Records);
    }
}
