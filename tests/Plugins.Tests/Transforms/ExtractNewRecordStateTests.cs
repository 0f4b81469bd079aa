using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Connect.Header;
using OrleansConnect.Connect.Sink;
using OrleansConnect.Connect.Source;
using OrleansConnect.Plugins.Postgres;
using OrleansConnect.Plugins.Transforms;
using Xunit;
using static OrleansConnect.Tests.TestRecords;

namespace OrleansConnect.Tests.Transforms;

/// <summary>Debezium's ExtractNewRecordState on the events the PostgreSQL CDC connector writes (its own schema
/// builders): each delete/tombstone mode, the legacy keys, add.fields, add.headers, route.by.field and
/// drop.fields.header.name.</summary>
public class ExtractNewRecordStateTests
{
    private const string Topic = "shop.public.orders";
    private const long CommitMicros = 1_700_000_000_123_456;

    private static readonly TableSchema Orders = new(
        new PgTable(16384, "public", "orders", 'd',
        [
            new PgColumn("id", new PgType(PgValueConverters.Int4, "int4", 'b'), -1, true),
            new PgColumn("item", new PgType(PgValueConverters.Text, "text", 'b'), -1, true),
            new PgColumn("dest", new PgType(PgValueConverters.Text, "text", 'b'), -1, false),
        ], ["id"]),
        PostgresConnectorConfig.Parse(new Dictionary<string, string>
        {
            ["database.hostname"] = "localhost", ["database.user"] = "postgres", ["database.dbname"] = "shop", ["topic.prefix"] = "shop",
        }));

    private static readonly Dictionary<string, object?> Partition = new() { ["server"] = "shop" };
    private static readonly Dictionary<string, object?> Offset = new() { ["lsn"] = 200L };

    private static Struct Row(int id, string item, string? dest = null) =>
        Orders.Value([Cell.Of(id.ToString(System.Globalization.CultureInfo.InvariantCulture)), Cell.Of(item), Cell.Of(dest)]);

    private static Struct KeyOf(int id) => Orders.Key([Cell.Of(id.ToString(System.Globalization.CultureInfo.InvariantCulture)), Cell.Null, Cell.Null])!;

    private static Struct Source() => ChangeEvents.Source("3.1.0.Final", "shop", "shop", Orders.Table, CommitMicros, null, 100, 200, 7);

    private static SourceRecord Event(string op, Struct? before, Struct? after, int id = 1, ConnectHeaders? headers = null) =>
        ChangeEvents.Record(Orders, Partition, Offset, op, KeyOf(id), before, after, Source(), headers);

    private static SourceRecord Create(int id = 1, string item = "apple", string? dest = null) => Event("c", null, Row(id, item, dest), id);

    private static SourceRecord Update() => Event("u", Row(1, "apple"), Row(1, "pear"));

    private static SourceRecord Delete(string? dest = null) => Event("d", Row(1, "pear", dest), null);

    private static SourceRecord Tombstone() => ChangeEvents.Tombstone(Orders, Partition, Offset, KeyOf(1));

    private static SourceRecord Truncate() => ChangeEvents.Record(Orders, Partition, Offset, "t", null, null, null, Source());

    private static ExtractNewRecordState<SourceRecord> Unwrap(params (string Key, string? Value)[] config)
    {
        var t = new ExtractNewRecordState<SourceRecord>();
        t.Configure(Props(config));
        return t;
    }

    private static Struct ValueOf(SourceRecord? record) => Assert.IsType<Struct>(Assert.IsType<SourceRecord>(record).Value);

    [Fact]
    public void Creates_and_updates_become_the_after_row_with_key_topic_and_offsets_kept()
    {
        var unwrap = Unwrap();
        var create = Create();

        var result = unwrap.Apply(create)!;

        Assert.Equal(Topic, result.Topic);
        Assert.Equal(Orders.KeySchema, result.KeySchema);
        Assert.Equal(KeyOf(1), result.Key);
        Assert.Equal(Orders.ValueSchema, result.ValueSchema);
        Assert.Equal("shop.public.orders.Value", result.ValueSchema!.Name);
        Assert.Equal(Row(1, "apple"), result.Value);
        Assert.Equal(Partition, result.SourcePartition);
        Assert.Equal(Offset, result.SourceOffset);
        Assert.Empty(result.Headers);

        Assert.Equal("pear", ValueOf(unwrap.Apply(Update())).GetString("item"));
        Assert.Equal("apple", ValueOf(unwrap.Apply(Event("r", null, Row(1, "apple")))).GetString("item"));
    }

    [Fact]
    public void Default_mode_is_tombstone_a_delete_keeps_its_value_schema_with_a_null_value_and_tombstones_and_truncates_drop()
    {
        var unwrap = Unwrap();

        var delete = unwrap.Apply(Delete())!;

        Assert.Null(delete.Value);
        Assert.Equal(Orders.ValueSchema, delete.ValueSchema);
        Assert.Equal(KeyOf(1), delete.Key);
        Assert.Equal(Topic, delete.Topic);
        Assert.Null(unwrap.Apply(Tombstone()));
        Assert.Null(unwrap.Apply(Truncate()));
        Assert.Equal(Orders.ValueSchema, Unwrap((ExtractNewRecordState<SourceRecord>.DeleteTombstoneHandlingModeConfig, "tombstone")).Apply(Delete())!.ValueSchema);
    }

    [Fact]
    public void Drop_mode_drops_deletes_and_tombstones_but_not_creates()
    {
        var unwrap = Unwrap(("delete.tombstone.handling.mode", "drop"));

        Assert.Null(unwrap.Apply(Delete()));
        Assert.Null(unwrap.Apply(Tombstone()));
        Assert.Equal(Row(1, "apple"), unwrap.Apply(Create())!.Value);
    }

    [Fact]
    public void Rewrite_mode_turns_a_delete_into_its_before_row_with_deleted_true_and_marks_other_rows_false()
    {
        var unwrap = Unwrap(("delete.tombstone.handling.mode", "rewrite"));

        var delete = ValueOf(unwrap.Apply(Delete()));
        var create = unwrap.Apply(Create())!;

        Assert.Equal(["id", "item", "dest", "__deleted"], delete.Schema.Fields.Select(f => f.Name));
        Assert.Equal(1, delete.GetInt32("id"));
        Assert.Equal("pear", delete.GetString("item"));
        Assert.Equal("true", delete.GetString("__deleted"));
        var deletedSchema = delete.Schema.Field("__deleted")!.Schema;
        Assert.Equal(SchemaType.String, deletedSchema.Type);
        Assert.True(deletedSchema.IsOptional);
        Assert.Equal("shop.public.orders.Value", delete.Schema.Name);
        Assert.Equal("false", ValueOf(create).GetString("__deleted"));
        Assert.Equal(create.ValueSchema, delete.Schema);
        Assert.Equal("false", ValueOf(unwrap.Apply(Update())).GetString("__deleted"));
        Assert.Null(unwrap.Apply(Tombstone()));
        Assert.Null(unwrap.Apply(Truncate()));
    }

    [Fact]
    public void Rewrite_with_tombstone_keeps_the_tombstone_unchanged()
    {
        var unwrap = Unwrap(("delete.tombstone.handling.mode", "rewrite-with-tombstone"));
        var tombstone = Tombstone();

        var kept = unwrap.Apply(tombstone)!;

        Assert.Equal(tombstone, kept);
        Assert.Null(kept.Value);
        Assert.Null(kept.ValueSchema);
        Assert.Equal("true", ValueOf(unwrap.Apply(Delete())).GetString("__deleted"));
        Assert.Equal("false", ValueOf(unwrap.Apply(Create())).GetString("__deleted"));
    }

    [Fact]
    public void Delete_to_tombstone_turns_a_delete_into_a_real_tombstone_and_drops_the_original()
    {
        var unwrap = Unwrap(("delete.tombstone.handling.mode", "delete-to-tombstone"));

        var delete = unwrap.Apply(Delete())!;

        Assert.Null(delete.Value);
        Assert.Null(delete.ValueSchema);
        Assert.Equal(KeyOf(1), delete.Key);
        Assert.Equal(Orders.KeySchema, delete.KeySchema);
        Assert.Null(unwrap.Apply(Tombstone()));
        Assert.Equal(Row(1, "apple"), unwrap.Apply(Create())!.Value);
    }

    [Fact]
    public void The_mode_is_case_insensitive_and_a_bad_one_is_a_config_error_naming_the_key()
    {
        Assert.Equal("true", ValueOf(Unwrap(("delete.tombstone.handling.mode", " Rewrite ")).Apply(Delete())).GetString("__deleted"));

        var e = Assert.Throws<ConfigException>(() => Unwrap(("delete.tombstone.handling.mode", "keep")));
        Assert.Contains("delete.tombstone.handling.mode", e.Message);
        Assert.Contains("keep", e.Message);
        var legacy = Assert.Throws<ConfigException>(() => Unwrap(("delete.handling.mode", "tombstone")));
        Assert.Contains("delete.handling.mode", legacy.Message);
        Assert.Contains("drop.tombstones", Assert.Throws<ConfigException>(() => Unwrap(("drop.tombstones", "yes"))).Message);
    }

    [Fact]
    public void Legacy_keys_apply_only_when_the_new_key_is_unset_with_their_old_defaults()
    {
        // drop.tombstones alone: delete.handling.mode keeps its old default, drop.
        var keepTombstones = Unwrap(("drop.tombstones", "false"));
        Assert.Equal(Tombstone(), keepTombstones.Apply(Tombstone()));
        Assert.Null(keepTombstones.Apply(Delete()));

        // delete.handling.mode alone: drop.tombstones keeps its old default, true.
        var none = Unwrap(("delete.handling.mode", "none"));
        var delete = none.Apply(Delete())!;
        Assert.Null(delete.Value);
        Assert.Equal(Orders.ValueSchema, delete.ValueSchema);
        Assert.Null(none.Apply(Tombstone()));
        Assert.Null(Unwrap(("delete.handling.mode", "drop")).Apply(Delete()));

        var rewrite = Unwrap(("delete.handling.mode", "rewrite"), ("drop.tombstones", "false"));
        Assert.Equal("true", ValueOf(rewrite.Apply(Delete())).GetString("__deleted"));
        Assert.Equal("false", ValueOf(rewrite.Apply(Create())).GetString("__deleted"));
        Assert.NotNull(rewrite.Apply(Tombstone()));

        // The new key wins over both legacy keys.
        var both = Unwrap(("delete.tombstone.handling.mode", "delete-to-tombstone"), ("delete.handling.mode", "rewrite"), ("drop.tombstones", "false"));
        Assert.Null(both.Apply(Tombstone()));
        Assert.Null(both.Apply(Delete())!.ValueSchema);
        Assert.Equal(Row(1, "apple"), both.Apply(Create())!.Value);

        // A blank key counts as unset.
        Assert.NotNull(Unwrap(("delete.tombstone.handling.mode", " "), ("drop.tombstones", "false")).Apply(Tombstone()));
        Assert.Null(Unwrap(("delete.tombstone.handling.mode", ""), ("delete.handling.mode", "")).Apply(Delete())!.Value);
        Assert.Null(Unwrap(("delete.handling.mode", " "), ("drop.tombstones", "true")).Apply(Delete()));
    }

    [Fact]
    public void Add_fields_appends_prefixed_envelope_fields_from_the_top_level_source_and_transaction()
    {
        var unwrap = Unwrap(("add.fields", "op,table,lsn,source.ts_ms,ts_ms,snapshot,id,no_such_field"));
        var create = Create();

        var value = ValueOf(unwrap.Apply(create));

        Assert.Equal(["id", "item", "dest", "__op", "__table", "__lsn", "__source_ts_ms", "__ts_ms", "__snapshot", "__id"],
            value.Schema.Fields.Select(f => f.Name));
        Assert.Equal("c", value.GetString("__op"));
        Assert.Equal("orders", value.GetString("__table"));
        Assert.Equal(200L, value.GetInt64("__lsn"));
        Assert.Equal(CommitMicros / 1000, value.GetInt64("__source_ts_ms"));
        Assert.Equal(((Struct)create.Value!).GetInt64("ts_ms"), value.GetInt64("__ts_ms"));
        // Streaming leaves source.snapshot unset: the value as set, not the field default "false".
        Assert.Null(value.Get("__snapshot"));
        // No transaction block outside provide.transaction.metadata: a null of the field's type.
        Assert.Null(value.Get("__id"));
        Assert.Equal(Row(1, "apple").Get("item"), value.Get("item"));

        // Added fields are optional copies of the envelope field's schema without its default; the struct keeps its
        // name and becomes required.
        Assert.All(value.Schema.Fields.Skip(3), f => Assert.True(f.Schema.IsOptional));
        var snapshot = value.Schema.Field("__snapshot")!.Schema;
        Assert.Equal("io.debezium.data.Enum", snapshot.Name);
        Assert.Equal(ChangeEvents.SnapshotAllowed, snapshot.Parameters!["allowed"]);
        Assert.Null(snapshot.DefaultValue);
        Assert.Equal(SchemaType.String, value.Schema.Field("__id")!.Schema.Type);
        Assert.Equal("shop.public.orders.Value", value.Schema.Name);
        Assert.False(value.Schema.IsOptional);
    }

    [Fact]
    public void Add_fields_renames_with_a_colon_and_uses_the_configured_prefix()
    {
        var value = ValueOf(Unwrap(("add.fields", "source.ts_ms:EVENT_TS, op , transaction.id"), ("add.fields.prefix", "cdc_")).Apply(Create()));

        Assert.Equal(["id", "item", "dest", "cdc_EVENT_TS", "cdc_op", "cdc_transaction_id"], value.Schema.Fields.Select(f => f.Name));
        Assert.Equal(CommitMicros / 1000, value.GetInt64("cdc_EVENT_TS"));
        Assert.Equal("c", value.GetString("cdc_op"));
    }

    [Fact]
    public void Add_fields_reach_a_rewritten_delete_but_not_a_delete_turned_into_a_null_value()
    {
        var rewritten = ValueOf(Unwrap(("add.fields", "op"), ("delete.tombstone.handling.mode", "rewrite")).Apply(Delete()));
        Assert.Equal(["id", "item", "dest", "__deleted", "__op"], rewritten.Schema.Fields.Select(f => f.Name));
        Assert.Equal("d", rewritten.GetString("__op"));
        Assert.Equal("true", rewritten.GetString("__deleted"));

        var tombstoneMode = Unwrap(("add.fields", "op")).Apply(Delete())!;
        Assert.Null(tombstoneMode.Value);
        Assert.Equal(Orders.ValueSchema, tombstoneMode.ValueSchema);
    }

    [Fact]
    public void Add_fields_errors_a_bad_entry_at_configure_and_an_unknown_struct_at_apply()
    {
        var e = Assert.Throws<ConfigException>(() => Unwrap(("add.fields", "op:a:b")));
        Assert.Contains("add.fields", e.Message);
        Assert.Contains("add.headers", Assert.Throws<ConfigException>(() => Unwrap(("add.headers", "a.b.c"))).Message);

        var unknown = Assert.Throws<DataException>(() => Unwrap(("add.fields", "nosuch.field")).Apply(Create()));
        Assert.Contains("nosuch", unknown.Message);
    }

    [Fact]
    public void Add_headers_adds_envelope_fields_as_headers_and_a_tombstone_gets_only_op_d()
    {
        var original = new ConnectHeaders().AddString("existing", "x");
        var create = Event("c", null, Row(1, "apple"), headers: original);
        var unwrap = Unwrap(("add.headers", "op,source.ts_ms,db:database"), ("add.headers.prefix", "dbz."),
            ("delete.tombstone.handling.mode", "rewrite-with-tombstone"));

        var result = unwrap.Apply(create)!;

        Assert.Equal(["existing", "dbz.op", "dbz.source_ts_ms", "dbz.database"], result.Headers.Select(h => h.Key));
        var op = result.Headers.LastWithName("dbz.op")!;
        Assert.Equal("c", op.Value);
        Assert.Equal(SchemaType.String, op.Schema!.Type);
        Assert.True(op.Schema.IsOptional);
        Assert.Equal(CommitMicros / 1000, result.Headers.LastWithName("dbz.source_ts_ms")!.Value);
        Assert.Equal("shop", result.Headers.LastWithName("dbz.database")!.Value);
        // The input record's headers are not changed.
        Assert.Single(create.Headers);
        // Headers never go into the value.
        Assert.Equal(["id", "item", "dest", "__deleted"], ValueOf(result).Schema.Fields.Select(f => f.Name));

        var tombstone = unwrap.Apply(Tombstone())!;
        Assert.Null(tombstone.Value);
        var header = Assert.Single(tombstone.Headers);
        Assert.Equal(("dbz.op", "d"), (header.Key, header.Value));

        Assert.Equal("d", Unwrap(("add.headers", "op"), ("delete.tombstone.handling.mode", "tombstone")).Apply(Delete())!.Headers.LastWithName("__op")!.Value);
    }

    [Fact]
    public void Route_by_field_takes_the_topic_from_the_after_row_or_for_deletes_the_before_row()
    {
        var unwrap = Unwrap(("route.by.field", "dest"), ("delete.tombstone.handling.mode", "rewrite"));

        Assert.Equal("orders-eu", unwrap.Apply(Create(dest: "orders-eu"))!.Topic);
        Assert.Equal(Topic, unwrap.Apply(Create(dest: null))!.Topic);
        Assert.Equal(Topic, unwrap.Apply(Create(dest: " "))!.Topic);
        Assert.Equal("orders-us", unwrap.Apply(Delete(dest: "orders-us"))!.Topic);
        Assert.Equal("orders-us", Unwrap(("route.by.field", "dest")).Apply(Delete(dest: "orders-us"))!.Topic);

        Assert.Throws<DataException>(() => Unwrap(("route.by.field", "no_such_column")).Apply(Create()));
    }

    [Fact]
    public void Drop_fields_header_removes_the_listed_optional_fields_or_all_listed_when_not_schema_compatible()
    {
        ConnectHeaders Drop(params string[] names) =>
            new ConnectHeaders().Add("drop-me", names.ToList<object?>(), SchemaBuilder.Array(Schema.StringSchema).Build());
        var record = Event("c", null, Row(1, "apple", "eu"), headers: Drop("dest", "item", "id"));

        var compatible = ValueOf(Unwrap(("drop.fields.header.name", "drop-me")).Apply(record));
        Assert.Equal(["id", "item"], compatible.Schema.Fields.Select(f => f.Name));

        var all = Unwrap(("drop.fields.header.name", "drop-me"), ("drop.fields.keep.schema.compatible", "false"), ("drop.fields.from.key", "true")).Apply(record)!;
        Assert.Empty(ValueOf(all).Schema.Fields);
        Assert.Empty(Assert.IsType<Struct>(all.Key).Schema.Fields);

        // Without drop.fields.from.key the key is left alone; the header stays on the record.
        var valueOnly = Unwrap(("drop.fields.header.name", "drop-me"), ("drop.fields.keep.schema.compatible", "false")).Apply(record)!;
        Assert.Equal(KeyOf(1), valueOnly.Key);
        Assert.NotNull(valueOnly.Headers.LastWithName("drop-me"));

        // Rewritten deletes drop fields too; no header, an empty list: nothing dropped.
        var delete = Event("d", Row(1, "pear", "eu"), null, headers: Drop("dest"));
        Assert.Equal(["id", "item", "__deleted"],
            ValueOf(Unwrap(("drop.fields.header.name", "drop-me"), ("delete.tombstone.handling.mode", "rewrite")).Apply(delete)).Schema.Fields.Select(f => f.Name));
        Assert.Equal(Row(1, "apple"), Unwrap(("drop.fields.header.name", "drop-me")).Apply(Create())!.Value);
        Assert.Equal(Row(1, "apple", "eu"), Unwrap(("drop.fields.header.name", "drop-me")).Apply(Event("c", null, Row(1, "apple", "eu"), headers: Drop()))!.Value);

        var notAList = Event("c", null, Row(1, "apple"), headers: new ConnectHeaders().AddString("drop-me", "dest"));
        Assert.Contains("drop-me", Assert.Throws<DataException>(() => Unwrap(("drop.fields.header.name", "drop-me")).Apply(notAList)).Message);
    }

    [Fact]
    public void Records_that_are_not_envelopes_pass_through_unchanged()
    {
        var unwrap = Unwrap(("add.headers", "op"), ("add.fields", "op"), ("route.by.field", "dest"));
        var heartbeatSchema = SchemaBuilder.Struct().Name("io.debezium.connector.common.Heartbeat").Field("ts_ms", Schema.Int64Schema).Build();
        SourceRecord[] others =
        [
            Value(heartbeatSchema, new Struct(heartbeatSchema).Put("ts_ms", 5L)),
            Value(null, Map(("before", null), ("after", Map(("id", 1))), ("op", "c"))),
            Value(Schema.StringSchema, "text"),
            Value(Orders.ValueSchema, Row(1, "apple")),
        ];

        foreach (var record in others) Assert.Same(record, unwrap.Apply(record));
    }

    [Fact]
    public void Sink_records_keep_their_kafka_coordinates()
    {
        var create = Create();
        var sink = new SinkRecord(Topic, 2, create.KeySchema, create.Key, create.ValueSchema, create.Value, 99, 5);
        var unwrap = new ExtractNewRecordState<SinkRecord>();
        unwrap.Configure(Props(("add.fields", "op")));

        var result = unwrap.Apply(sink)!;

        Assert.Equal(99, result.KafkaOffset);
        Assert.Equal(2, result.KafkaPartition);
        Assert.Equal("c", ((Struct)result.Value!).GetString("__op"));
    }
}
