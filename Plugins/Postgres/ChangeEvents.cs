using System.Globalization;
using System.Text.RegularExpressions;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Header;
using OrleansConnect.Connect.Source;

namespace OrleansConnect.Plugins.Postgres;

/// <summary>A column's value in a row read from the snapshot or the replication stream.</summary>
public readonly record struct Cell(CellKind Kind, string? Text)
{
    public static readonly Cell Null = new(CellKind.Null, null);
    public static readonly Cell Unchanged = new(CellKind.Unchanged, null);
    public static readonly Cell Absent = new(CellKind.Absent, null);
    public static Cell Of(string? text) => text is null ? Null : new Cell(CellKind.Text, text);
}

public enum CellKind { Null, Text, Unchanged, Absent }

/// <summary>The Connect schemas of one table's events, with Debezium's names: topic &lt;prefix&gt;.&lt;schema&gt;.&lt;table&gt;,
/// key &lt;topic&gt;.Key (the primary key, or message.key.columns; none without either), before/after &lt;topic&gt;.Value,
/// envelope &lt;topic&gt;.Envelope.</summary>
public sealed class TableSchema
{
    private readonly (int Index, Field Field, ColumnConverter Converter)[] _valueColumns;
    private readonly (int Index, Field Field, ColumnConverter Converter)[] _keyColumns;

    public TableSchema(PgTable table, PostgresConnectorConfig config)
    {
        Table = table;
        Topic = ChangeEvents.TopicName(config.Prefix, table.Schema, table.Name);
        var converters = table.Columns.Select(c => PgValueConverters.For(c, config)).ToArray();

        var keyNames = config.KeyColumns.FirstOrDefault(k => k.Table.IsMatch(table.FullName)).Columns ?? table.PrimaryKey;
        var keyBuilder = SchemaBuilder.Struct().Name(Topic + ".Key");
        var keyIndexes = new List<int>();
        foreach (var name in keyNames)
        {
            var index = table.Columns.ToList().FindIndex(c => c.Name == name);
            if (index < 0 || converters[index] is null) continue;
            keyBuilder.Field(name, converters[index]!.Schema);
            keyIndexes.Add(index);
        }
        KeySchema = keyIndexes.Count > 0 ? keyBuilder.Build() : null;

        var valueBuilder = SchemaBuilder.Struct().Name(Topic + ".Value");
        var valueIndexes = new List<int>();
        for (var i = 0; i < table.Columns.Count; i++)
        {
            var column = table.Columns[i];
            if (converters[i] is null) continue;
            // Key columns stay in the value whatever the column filters say, as in Debezium.
            if (!keyIndexes.Contains(i) && !config.Filter.IncludesColumn(table.Schema, table.Name, column.Name)) continue;
            valueBuilder.Field(column.Name, converters[i]!.Schema);
            valueIndexes.Add(i);
        }
        ValueSchema = valueBuilder.Optional().Build();
        _valueColumns = valueIndexes.Select(i => (i, ValueSchema.Field(table.Columns[i].Name)!, converters[i]!)).ToArray();
        _keyColumns = KeySchema is null ? [] : keyIndexes.Select(i => (i, KeySchema.Field(table.Columns[i].Name)!, converters[i]!)).ToArray();

        EnvelopeSchema = SchemaBuilder.Struct().Name(Topic + ".Envelope").Version(2)
            .Field("before", ValueSchema)
            .Field("after", ValueSchema)
            .Field("source", ChangeEvents.SourceSchema)
            .Field("transaction", ChangeEvents.TransactionSchema)
            .Field("op", Schema.StringSchema)
            .Field("ts_ms", Schema.OptionalInt64Schema)
            .Field("ts_us", Schema.OptionalInt64Schema)
            .Field("ts_ns", Schema.OptionalInt64Schema)
            .Build();
        EnvelopeFields = new EnvelopeFieldSet(EnvelopeSchema);
    }

    /// <summary>The envelope's fields, looked up once rather than by name for every record.</summary>
    internal sealed class EnvelopeFieldSet(Schema envelope)
    {
        public Field Before { get; } = envelope.Field("before")!;
        public Field After { get; } = envelope.Field("after")!;
        public Field Source { get; } = envelope.Field("source")!;
        public Field Op { get; } = envelope.Field("op")!;
        public Field TsMs { get; } = envelope.Field("ts_ms")!;
        public Field TsUs { get; } = envelope.Field("ts_us")!;
        public Field TsNs { get; } = envelope.Field("ts_ns")!;
    }

    internal EnvelopeFieldSet EnvelopeFields { get; }

    public PgTable Table { get; }
    public string Topic { get; }
    public Schema? KeySchema { get; }
    public Schema ValueSchema { get; }
    public Schema EnvelopeSchema { get; }

    /// <summary>The columns a row must carry, by table column index (the table's shape when this schema was built).</summary>
    public int ColumnCount => Table.Columns.Count;

    public Struct? Key(IReadOnlyList<Cell> row)
    {
        if (KeySchema is null) return null;
        var key = new Struct(KeySchema);
        foreach (var (index, field, converter) in _keyColumns) key.Put(field, Value(row[index], converter, null));
        return key;
    }

    /// <summary>The value struct of a row; an unchanged TOASTed cell takes the old row's value when there is one
    /// (REPLICA IDENTITY FULL), else the placeholder.</summary>
    public Struct Value(IReadOnlyList<Cell> row, IReadOnlyList<Cell>? old = null)
    {
        var value = new Struct(ValueSchema);
        foreach (var (index, field, converter) in _valueColumns)
            value.Put(field, Value(row[index], converter, old is null ? null : old[index]));
        return value;
    }

    private static object? Value(Cell cell, ColumnConverter converter, Cell? old) => cell.Kind switch
    {
        CellKind.Text => converter.FromText(cell.Text),
        CellKind.Unchanged when old is { Kind: CellKind.Text or CellKind.Null } o => converter.FromText(o.Text),
        CellKind.Unchanged => converter.Unavailable,
        _ => converter.FromText(null),
    };
}

/// <summary>The parts of Debezium's change events that do not depend on a table.</summary>
public static class ChangeEvents
{
    public const string SnapshotAllowed = "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental";

    public static readonly Schema SourceSchema = SchemaBuilder.Struct().Name("io.debezium.connector.postgresql.Source").Version(1)
        .Field("version", Schema.StringSchema)
        .Field("connector", Schema.StringSchema)
        .Field("name", Schema.StringSchema)
        .Field("ts_ms", Schema.Int64Schema)
        .Field("snapshot", SchemaBuilder.String().Name("io.debezium.data.Enum").Version(1).Parameter("allowed", SnapshotAllowed)
            .DefaultValue("false").Optional().Build())
        .Field("db", Schema.StringSchema)
        .Field("sequence", Schema.OptionalStringSchema)
        .Field("ts_us", Schema.OptionalInt64Schema)
        .Field("ts_ns", Schema.OptionalInt64Schema)
        .Field("schema", Schema.StringSchema)
        .Field("table", Schema.StringSchema)
        .Field("txId", Schema.OptionalInt64Schema)
        .Field("lsn", Schema.OptionalInt64Schema)
        .Field("xmin", Schema.OptionalInt64Schema)
        .Build();

    public static readonly Schema TransactionSchema = SchemaBuilder.Struct().Name("event.block").Version(1).Optional()
        .Field("id", Schema.StringSchema)
        .Field("total_order", Schema.Int64Schema)
        .Field("data_collection_order", Schema.Int64Schema)
        .Build();

    // The source block's fields, looked up once rather than by name for every record.
    private static readonly Field SourceVersion = SourceSchema.Field("version")!, SourceConnector = SourceSchema.Field("connector")!,
        SourceName = SourceSchema.Field("name")!, SourceTsMs = SourceSchema.Field("ts_ms")!, SourceSnapshot = SourceSchema.Field("snapshot")!,
        SourceDb = SourceSchema.Field("db")!, SourceSequence = SourceSchema.Field("sequence")!, SourceTsUs = SourceSchema.Field("ts_us")!,
        SourceTsNs = SourceSchema.Field("ts_ns")!, SourceSchemaName = SourceSchema.Field("schema")!, SourceTable = SourceSchema.Field("table")!,
        SourceTxId = SourceSchema.Field("txId")!, SourceLsn = SourceSchema.Field("lsn")!;

    /// <summary>&lt;prefix&gt;.&lt;schema&gt;.&lt;table&gt;, characters Kafka does not allow in topic names replaced with '_'.</summary>
    public static string TopicName(string prefix, string schema, string table) =>
        Regex.Replace($"{prefix}.{schema}.{table}", "[^A-Za-z0-9._-]", "_");

    /// <summary>The source block: commit time (µs) in the database, snapshot marker (null while streaming), the
    /// sequence ["&lt;last commit LSN&gt;","&lt;LSN&gt;"].</summary>
    public static Struct Source(string version, string prefix, string db, PgTable table, long commitMicros, string? snapshot,
        ulong? lastCommitLsn, ulong? lsn, long? txId)
    {
        var sequence = (lastCommitLsn, lsn) switch
        {
            ({ } c, { } l) => string.Create(CultureInfo.InvariantCulture, $"[\"{c}\",\"{l}\"]"),
            (null, { } l) => string.Create(CultureInfo.InvariantCulture, $"[null,\"{l}\"]"),
            ({ } c, null) => string.Create(CultureInfo.InvariantCulture, $"[\"{c}\",null]"),
            _ => "[null,null]",
        };
        var source = new Struct(SourceSchema)
            .Put(SourceVersion, version)
            .Put(SourceConnector, "postgresql")
            .Put(SourceName, prefix)
            .Put(SourceTsMs, FloorDiv(commitMicros, 1000))
            .Put(SourceDb, db)
            .Put(SourceSequence, sequence)
            .Put(SourceTsUs, commitMicros)
            .Put(SourceTsNs, commitMicros * 1000)
            .Put(SourceSchemaName, table.Schema)
            .Put(SourceTable, table.Name)
            .Put(SourceTxId, txId)
            .Put(SourceLsn, lsn is { } v ? (long)v : null);
        if (snapshot is not null) source.Put(SourceSnapshot, snapshot);
        return source;
    }

    private static long FloorDiv(long a, long b) => a >= 0 ? a / b : -((-a + b - 1) / b);

    /// <summary>An envelope record: op c/u/d/r/t with processing times ts_ms/ts_us/ts_ns.</summary>
    public static SourceRecord Record(TableSchema table, IReadOnlyDictionary<string, object?> partition, IReadOnlyDictionary<string, object?> offset,
        string op, Struct? key, Struct? before, Struct? after, Struct source, ConnectHeaders? headers = null)
    {
        var nowMicros = NowMicros();
        var fields = table.EnvelopeFields;
        var envelope = new Struct(table.EnvelopeSchema)
            .Put(fields.Before, before)
            .Put(fields.After, after)
            .Put(fields.Source, source)
            .Put(fields.Op, op)
            .Put(fields.TsMs, nowMicros / 1000)
            .Put(fields.TsUs, nowMicros)
            .Put(fields.TsNs, nowMicros * 1000);
        return new SourceRecord(partition, offset, table.Topic, null, op == "t" ? null : table.KeySchema, op == "t" ? null : key,
            table.EnvelopeSchema, envelope, null, headers);
    }

    /// <summary>The tombstone after a delete: the same key, a null value without a schema.</summary>
    public static SourceRecord Tombstone(TableSchema table, IReadOnlyDictionary<string, object?> partition, IReadOnlyDictionary<string, object?> offset, Struct? key) =>
        new(partition, offset, table.Topic, null, table.KeySchema, key, null, null);

    public static long NowMicros() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10;
}
