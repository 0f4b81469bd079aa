using System.Globalization;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Source;

namespace OrleansConnect.Plugins.Postgres;

/// <summary>provide.transaction.metadata: Debezium's BEGIN and END records on &lt;topic.prefix&gt;.&lt;topic.transaction&gt; (key
/// io.debezium.connector.common.TransactionMetadataKey {id}, value io.debezium.connector.common.TransactionMetadataValue
/// {status, id, event_count, data_collections, ts_ms}) and the transaction block (id, total_order,
/// data_collection_order) of each change event. Ids are "&lt;xid&gt;:&lt;LSN of that message&gt;", as Debezium's
/// PostgreSQL connector writes them. The counters go into the change events' offsets (transaction_id,
/// transaction_data_collection_order_&lt;schema.table&gt;), so a restart inside a transaction continues them without a
/// second BEGIN. One stream at a time: not thread-safe.</summary>
public sealed class TransactionMetadata(string topic, IReadOnlyDictionary<string, object?> partition)
{
    public const string TransactionIdKey = "transaction_id";
    public const string CollectionOrderPrefix = "transaction_data_collection_order_";

    public static readonly Schema KeySchema = SchemaBuilder.Struct().Name("io.debezium.connector.common.TransactionMetadataKey").Version(1)
        .Field("id", Schema.StringSchema)
        .Build();

    public static readonly Schema CollectionSchema = SchemaBuilder.Struct().Name("event.collection").Version(1).Optional()
        .Field("data_collection", Schema.StringSchema)
        .Field("event_count", Schema.Int64Schema)
        .Build();

    public static readonly Schema ValueSchema = SchemaBuilder.Struct().Name("io.debezium.connector.common.TransactionMetadataValue").Version(1)
        .Field("status", Schema.StringSchema)
        .Field("id", Schema.StringSchema)
        .Field("event_count", Schema.OptionalInt64Schema)
        .Field("data_collections", SchemaBuilder.Array(CollectionSchema).Optional().Build())
        .Field("ts_ms", Schema.Int64Schema)
        .Build();

    // Per data collection (schema.table), in the order of their first event.
    private readonly List<KeyValuePair<string, long>> _counts = [];
    private long _total;
    private string? _xid;

    /// <summary>The BEGIN record, or none when the stored offset shows this transaction begun already (a restart
    /// inside it): then its counters continue from there.</summary>
    public SourceRecord? Begin(long xid, ulong lsn, long commitMicros, IReadOnlyDictionary<string, object?> offset,
        IReadOnlyDictionary<string, object?>? resumedInside)
    {
        _xid = xid.ToString(CultureInfo.InvariantCulture);
        _counts.Clear();
        _total = 0;
        if (resumedInside is not null && resumedInside.GetValueOrDefault(TransactionIdKey) is string stored && stored == _xid)
        {
            foreach (var (key, value) in resumedInside)
            {
                if (!key.StartsWith(CollectionOrderPrefix, StringComparison.Ordinal) || value is null) continue;
                var count = Convert.ToInt64(value, CultureInfo.InvariantCulture);
                _counts.Add(new(key[CollectionOrderPrefix.Length..], count));
                _total += count;
            }
            return null;
        }
        return Record(Id(lsn), offset, new Struct(ValueSchema).Put("status", "BEGIN").Put("id", Id(lsn)).Put("ts_ms", FloorMillis(commitMicros)));
    }

    /// <summary>Counts a change event of <paramref name="table"/>: its transaction block, and the keys its offset gets.</summary>
    public Struct Event(PgTable table, ulong lsn, Dictionary<string, object?> offset)
    {
        var collection = table.Schema + "." + table.Name;
        var index = _counts.FindIndex(c => c.Key == collection);
        var order = (index < 0 ? 0 : _counts[index].Value) + 1;
        if (index < 0) _counts.Add(new(collection, order));
        else _counts[index] = new(collection, order);
        _total++;
        offset[TransactionIdKey] = _xid;
        foreach (var (key, count) in _counts) offset[CollectionOrderPrefix + key] = count;
        return new Struct(ChangeEvents.TransactionSchema).Put("id", Id(lsn)).Put("total_order", _total).Put("data_collection_order", order);
    }

    public SourceRecord End(ulong lsn, long commitMicros, IReadOnlyDictionary<string, object?> offset)
    {
        var collections = _counts.Select(c => (object?)new Struct(CollectionSchema).Put("data_collection", c.Key).Put("event_count", c.Value)).ToList();
        var value = new Struct(ValueSchema).Put("status", "END").Put("id", Id(lsn)).Put("event_count", _total)
            .Put("data_collections", collections).Put("ts_ms", FloorMillis(commitMicros));
        var record = Record(Id(lsn), offset, value);
        _xid = null;
        return record;
    }

    private string Id(ulong lsn) => _xid + ":" + lsn.ToString(CultureInfo.InvariantCulture);

    private SourceRecord Record(string id, IReadOnlyDictionary<string, object?> offset, Struct value) =>
        new(partition, offset, topic, null, KeySchema, new Struct(KeySchema).Put("id", id), ValueSchema, value);

    private static long FloorMillis(long micros) => micros >= 0 ? micros / 1000 : -((-micros + 999) / 1000);
}
