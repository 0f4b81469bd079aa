using NpgsqlTypes;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Connect.Sink;
using OrleansConnect.Plugins.Jdbc;
using DateSchema = OrleansConnect.Connect.Data.Date;

namespace OrleansConnect.Tests.Jdbc;

/// <summary>The JDBC sink's column rules (Confluent's FieldsMetadata) and the PostgreSQL statements it sends.</summary>
public sealed class JdbcSinkSqlTests
{
    private static readonly Schema KeySchema = SchemaBuilder.Struct().Field("id", Schema.Int64Schema).Build();

    private static readonly Schema ValueSchema = SchemaBuilder.Struct()
        .Field("id", Schema.Int64Schema)
        .Field("name", Schema.OptionalStringSchema)
        .Field("price", ConnectDecimal.Builder(2).Optional().Build())
        .Field("born", DateSchema.Builder().Optional().Build())
        .Field("at", Timestamp.Builder().Build())
        .Build();

    private static readonly PostgresDialect Quoted = new(true, TimeZoneInfo.Utc);
    private static readonly Dictionary<string, string> NoCasts = [];

    private static SinkFields Fields(PrimaryKeyMode mode, IReadOnlyList<string>? pk = null, IReadOnlySet<string>? whitelist = null) =>
        SinkFields.Extract("t", mode, pk ?? [], whitelist ?? new HashSet<string>(), KeySchema, ValueSchema);

    [Fact]
    public void Record_key_mode_takes_the_key_struct_as_primary_key_and_the_other_value_fields_as_columns()
    {
        var fields = Fields(PrimaryKeyMode.RecordKey);
        Assert.Equal(["id"], fields.KeyFields.Select(f => f.Name));
        Assert.Equal(["name", "price", "born", "at"], fields.NonKeyFields.Select(f => f.Name));
        Assert.Equal(["id", "name", "price", "born", "at"], fields.AllFields.Select(f => f.Name));
    }

    [Fact]
    public void Kafka_mode_uses_the_coordinates_and_whitelist_limits_the_value_fields()
    {
        var fields = Fields(PrimaryKeyMode.Kafka, whitelist: new HashSet<string> { "name" });
        Assert.Equal(["__connect_topic", "__connect_partition", "__connect_offset"], fields.KeyFields.Select(f => f.Name));
        Assert.Equal(["name"], fields.NonKeyFields.Select(f => f.Name));
        var record = new SinkRecord("orders", 2, null, null, ValueSchema, Row(1), 41);
        Assert.Equal(["orders", 2, 41L], fields.KeyValues(record));
    }

    [Fact]
    public void Primary_key_configuration_errors_read_as_Confluents()
    {
        var missing = Assert.Throws<ConnectException>(() => Fields(PrimaryKeyMode.RecordValue, ["nope"]));
        Assert.Equal("PK mode for table 't' is RECORD_VALUE with configured PK fields [nope], but record value schema does not contain field: nope", missing.Message);
        var primitive = Assert.Throws<ConnectException>(() =>
            SinkFields.Extract("t", PrimaryKeyMode.RecordKey, [], new HashSet<string>(), Schema.Int64Schema, ValueSchema));
        Assert.Equal("Need exactly one PK column defined since the key schema for records is a primitive type, defined columns are: []", primitive.Message);
        var noKey = Assert.Throws<ConnectException>(() => SinkFields.Extract("t", PrimaryKeyMode.RecordKey, [], new HashSet<string>(), null, ValueSchema));
        Assert.Equal("PK mode for table 't' is RECORD_KEY, but record key schema is missing", noKey.Message);
    }

    [Fact]
    public void Create_table_maps_connect_types_as_confluents_postgres_dialect()
    {
        var sql = Quoted.CreateTable(new TableId(null, "orders"), Fields(PrimaryKeyMode.RecordKey).AllFields);
        Assert.Equal("CREATE TABLE IF NOT EXISTS \"orders\" (\n\"id\" BIGINT NOT NULL,\n\"name\" TEXT NULL,\n\"price\" DECIMAL NULL,\n\"born\" DATE NULL,\n\"at\" TIMESTAMP NOT NULL,\nPRIMARY KEY(\"id\"))", sql);
        Assert.Equal("SMALLINT", PostgresDialect.SqlType(Schema.Int8Schema));
        Assert.Equal("REAL", PostgresDialect.SqlType(Schema.Float32Schema));
        Assert.Equal("DOUBLE PRECISION", PostgresDialect.SqlType(Schema.Float64Schema));
        Assert.Equal("BYTEA", PostgresDialect.SqlType(Schema.BytesSchema));
        Assert.Equal("TIME", PostgresDialect.SqlType(OrleansConnect.Connect.Data.Time.Schema()));
        Assert.Equal("INT[]", PostgresDialect.SqlType(SchemaBuilder.Array(Schema.Int32Schema).Build()));
        var map = Assert.Throws<ConnectException>(() => PostgresDialect.SqlType(SchemaBuilder.Map(Schema.StringSchema, Schema.StringSchema).Build()));
        Assert.Contains("(MAP) type doesn't have a mapping to the SQL database column type", map.Message);
    }

    [Fact]
    public void Upsert_is_insert_on_conflict_do_update_or_do_nothing_when_every_column_is_a_key()
    {
        var fields = Fields(PrimaryKeyMode.RecordKey, whitelist: new HashSet<string> { "name" });
        var columns = fields.KeyFields.Concat(fields.NonKeyFields).ToList();
        Assert.Equal("INSERT INTO \"s\".\"t\" (\"id\",\"name\") VALUES ($1,$2),($3,$4) ON CONFLICT (\"id\") DO UPDATE SET \"name\"=EXCLUDED.\"name\"",
            Quoted.Insert(new TableId("s", "t"), fields.KeyFields, columns, 2, upsert: true, NoCasts));
        Assert.Equal("INSERT INTO \"t\" (\"id\") VALUES ($1) ON CONFLICT (\"id\") DO NOTHING",
            Quoted.Insert(new TableId(null, "t"), fields.KeyFields, fields.KeyFields, 1, upsert: true, NoCasts));
        Assert.Equal("INSERT INTO t (id,name) VALUES ($1,$2)",
            new PostgresDialect(false, TimeZoneInfo.Utc).Insert(new TableId(null, "t"), fields.KeyFields, columns, 1, upsert: false, NoCasts));
    }

    [Fact]
    public void Inserts_of_plain_columns_travel_as_one_array_per_column()
    {
        var fields = Fields(PrimaryKeyMode.RecordKey, whitelist: new HashSet<string> { "name", "at" });
        var columns = fields.KeyFields.Concat(fields.NonKeyFields).ToList();
        Assert.Equal("INSERT INTO \"t\" (\"id\",\"name\",\"at\") SELECT * FROM UNNEST($1,$2,$3) ON CONFLICT (\"id\") DO UPDATE SET \"name\"=EXCLUDED.\"name\",\"at\"=EXCLUDED.\"at\"",
            Quoted.InsertUnnest(new TableId(null, "t"), fields.KeyFields, columns, upsert: true));
        var names = Quoted.ColumnArray(Schema.OptionalStringSchema, ["a", null]);
        Assert.Equal(NpgsqlDbType.Array | NpgsqlDbType.Text, names.NpgsqlDbType);
        Assert.Equal(new string?[] { "a", null }, names.Value);
        Assert.Equal(new long?[] { 1, null }, Quoted.ColumnArray(Schema.OptionalInt64Schema, [1L, null]).Value);
        Assert.False(PostgresDialect.Unnestable(new SinkField("tags", SchemaBuilder.Array(Schema.StringSchema).Build(), false), NoCasts));
        Assert.False(PostgresDialect.Unnestable(new SinkField("doc", Schema.StringSchema, false), new Dictionary<string, string> { ["doc"] = "jsonb" }));
    }

    [Fact]
    public void Update_delete_and_casts_for_uuid_and_json_columns()
    {
        var fields = Fields(PrimaryKeyMode.RecordKey, whitelist: new HashSet<string> { "name" });
        var casts = new Dictionary<string, string> { ["name"] = "jsonb", ["id"] = "int8" };
        Assert.Equal("UPDATE \"t\" SET \"name\" = $1::jsonb WHERE \"id\" = $2", Quoted.Update(new TableId(null, "t"), fields.KeyFields, fields.NonKeyFields, casts));
        Assert.Equal("DELETE FROM \"t\" WHERE \"id\" IN ($1,$2,$3)", Quoted.Delete(new TableId(null, "t"), fields.KeyFields, 3, casts));
        var kafka = Fields(PrimaryKeyMode.Kafka);
        Assert.Equal("DELETE FROM \"t\" WHERE (\"__connect_topic\",\"__connect_partition\",\"__connect_offset\") IN (($1,$2,$3),($4,$5,$6))",
            Quoted.Delete(new TableId(null, "t"), kafka.KeyFields, 2, NoCasts));
    }

    [Fact]
    public void Time_values_are_bound_as_wall_clock_time_in_db_timezone()
    {
        var at = new LogicalTime(Date(2024, 1, 15, 12, 30));
        Assert.Equal((NpgsqlDbType.Timestamp, (object)new DateTime(2024, 1, 15, 12, 30, 0)), Quoted.Bind(Timestamp.Schema(), at));
        Assert.True(JdbcConfigs.TryZone("Europe/Paris", out var paris));
        var (_, value) = new PostgresDialect(true, paris).Bind(Timestamp.Schema(), at);
        Assert.Equal(new DateTime(2024, 1, 15, 13, 30, 0), value);
        Assert.Equal((NpgsqlDbType.Date, (object)new DateOnly(2024, 1, 15)), Quoted.Bind(DateSchema.Schema(), new LogicalTime(Date(2024, 1, 15, 0, 0))));
        Assert.Equal((NpgsqlDbType.Numeric, (object)12.34m), Quoted.Bind(ConnectDecimal.Schema(2), 12.34m));
        Assert.Equal((NpgsqlDbType.Smallint, (object)(short)-3), Quoted.Bind(Schema.Int8Schema, (sbyte)-3));
        Assert.Equal(NpgsqlDbType.Integer, Quoted.Bind(Schema.OptionalInt32Schema, null).Type);
    }

    [Fact]
    public void Table_names_take_an_optional_schema_part()
    {
        Assert.Equal(new TableId(null, "orders"), TableId.Parse("orders"));
        Assert.Equal(new TableId("sales", "orders"), TableId.Parse("sales.orders"));
        Assert.Equal("\"sales\".\"or\"\"ders\"", Quoted.Table(new TableId("sales", "or\"ders")));
    }

    private static long Date(int y, int m, int d, int h, int min) =>
        new DateTimeOffset(y, m, d, h, min, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();

    private static Struct Row(long id) =>
        new Struct(ValueSchema).Put("id", id).Put("name", "n" + id).Put("at", new LogicalTime(0));
}
