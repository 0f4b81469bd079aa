using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Connect.Source;
using DateSchema = OrleansConnect.Connect.Data.Date;
using TimeSchema = OrleansConnect.Connect.Data.Time;

namespace OrleansConnect.Plugins.Jdbc;

/// <summary>One table (or the query) of a JDBC source task: the statement of its mode, its offset, and the result set it
/// is reading, kept open across polls until it is exhausted (as Confluent's TableQuerier does), so rows sharing a
/// timestamp are never split between two queries.</summary>
public sealed class TableQuerier
{
    private readonly JdbcSourceConfig _config;
    private readonly PostgresDialect _dialect;
    private NpgsqlCommand? _command;
    private NpgsqlDataReader? _reader;
    private List<Column> _columns = [];
    private Schema? _schema;
    private string? _incrementing;
    private bool _timestampIsTz;

    private static readonly int UnixEpochDay = DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber;

    private sealed record Column(int Ordinal, string Name, string Type, Schema Schema)
    {
        /// <summary>The struct's field, set once the schema is built: rows are filled by field, not by name.</summary>
        public Field Field { get; set; } = null!;
    }

    // Where the incrementing column is in the result set, and whether it reads as a long without conversion.
    private int _incrementingOrdinal = -1;
    private bool _incrementingIsInt8;

    public TableQuerier(JdbcSourceConfig config, PostgresDialect dialect, TableId? table)
    {
        _config = config;
        _dialect = dialect;
        Table = table;
        Partition = table is null
            ? new Dictionary<string, object?> { ["query"] = "query" }
            : new Dictionary<string, object?> { ["protocol"] = "1", ["table"] = table.ToString() };
        Topic = table is null ? config.Prefix : config.Prefix + table.Name;
    }

    public TableId? Table { get; }
    public IReadOnlyDictionary<string, object?> Partition { get; }
    public string Topic { get; }
    public DateTime NextPoll { get; set; } = DateTime.MinValue;
    public bool Querying => _reader is not null;

    // The offset: the last row read (or what the stored offset said).
    private long _lastIncrementing = -1;
    private long? _lastTimestampMs;
    private int _lastTimestampNanos;

    private string Source => Table is null ? "(" + _config.QueryText + ")" : _dialect.Table(Table);
    private string What => Table?.ToString() ?? "the query";

    /// <summary>Reads the columns, finds the incrementing column when it was left to detection, checks NOT NULL
    /// (validate.non.null) and takes the stored offset (protocol 1, or the legacy {"table": name}).</summary>
    public async Task InitializeAsync(NpgsqlConnection connection, IOffsetStorageReader offsets, CancellationToken ct)
    {
        await using (var probe = new NpgsqlCommand(Table is null ? $"SELECT * FROM ({_config.QueryText}) AS q LIMIT 0" : $"SELECT * FROM {Source} LIMIT 0", connection))
        // KeyInfo: Npgsql then reads each column's NOT NULL from the catalog (AllowDBNull).
        await using (var reader = await probe.ExecuteReaderAsync(System.Data.CommandBehavior.KeyInfo, ct))
        {
            var schema = (await reader.GetColumnSchemaAsync(ct)).Cast<Npgsql.Schema.NpgsqlDbColumn>().ToList();
            var builder = SchemaBuilder.Struct();
            if (Table is not null) builder.Name(Table.Name);
            var columns = new List<Column>();
            foreach (var column in schema)
            {
                var type = column.PostgresType?.InternalName ?? "";
                var field = FieldSchema(column.ColumnName, type, column.NumericScale, column.AllowDBNull != false);
                if (field is null) continue; // as Confluent: a column of a type without a mapping is left out
                builder.Field(column.ColumnName, field);
                columns.Add(new Column(column.ColumnOrdinal ?? columns.Count, column.ColumnName, type, field));
            }
            _schema = builder.Build();
            foreach (var column in columns) column.Field = _schema.Field(column.Name)!;
            _columns = columns;
            if (_config.UsesTimestamp)
            {
                var first = schema.FirstOrDefault(c => c.ColumnName == _config.TimestampColumns[0])
                    ?? throw new ConnectException($"Timestamp column {_config.TimestampColumns[0]} is not a column of {What}");
                _timestampIsTz = first.PostgresType?.InternalName == "timestamptz";
            }
            if (_config.UsesIncrementing)
            {
                _incrementing = _config.IncrementingColumnName.Length > 0 ? _config.IncrementingColumnName : await DetectIncrementingAsync(connection, ct);
                if (schema.All(c => c.ColumnName != _incrementing))
                    throw new ConnectException($"Incrementing column {_incrementing} is not a column of {What}");
            }
            if (_config.CheckNonNull)
            {
                if (_incrementing is not null && schema.First(c => c.ColumnName == _incrementing).AllowDBNull != false)
                    throw new ConnectException($"Cannot make incremental queries using incrementing column {_incrementing} on {What} because this column is nullable.");
                if (_config.UsesTimestamp && _config.TimestampColumns.All(t => schema.FirstOrDefault(c => c.ColumnName == t)?.AllowDBNull != false))
                    throw new ConnectException($"Cannot make incremental queries using timestamp columns [{string.Join(", ", _config.TimestampColumns)}] on {What} because all of these columns are nullable.");
            }
        }

        var stored = offsets.Offset(Partition);
        if (stored is null && Table is not null) stored = offsets.Offset(new Dictionary<string, object?> { ["table"] = Table.Name });
        if (stored is not null)
        {
            if (stored.TryGetValue("incrementing", out var inc) && inc is not null) _lastIncrementing = Convert.ToInt64(inc, CultureInfo.InvariantCulture);
            if (stored.TryGetValue("timestamp", out var ts) && ts is not null) _lastTimestampMs = Convert.ToInt64(ts, CultureInfo.InvariantCulture);
            if (stored.TryGetValue("timestamp_nanos", out var nanos) && nanos is not null) _lastTimestampNanos = Convert.ToInt32(nanos, CultureInfo.InvariantCulture);
        }
        else if (_config.UsesTimestamp && _config.Initial is { } initial)
        {
            _lastTimestampMs = initial == -1 ? (await DatabaseNowAsync(connection, ct)).ToUnixTimeMilliseconds() : initial;
            _lastTimestampNanos = (int)(((_lastTimestampMs.Value % 1000) + 1000) % 1000 * 1_000_000);
        }
    }

    private async Task<string> DetectIncrementingAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        if (Table is null) throw new ConnectException("incrementing.column.name must be set in query mode");
        await using var command = new NpgsqlCommand(
            "SELECT a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace " +
            "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum " +
            "WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped " +
            "AND (a.attidentity <> '' OR pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%') ORDER BY a.attnum", connection);
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = Table.Schema ?? "public" });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = Table.Name });
        var found = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) found.Add(reader.GetString(0));
        return found.Count == 1
            ? found[0]
            : throw new ConnectException($"Cannot find a single auto-incrementing column of {What} (found {found.Count}); set incrementing.column.name");
    }

    private static async Task<DateTimeOffset> DatabaseNowAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT CURRENT_TIMESTAMP", connection);
        var now = (DateTime)(await command.ExecuteScalarAsync(ct))!;
        return new DateTimeOffset(DateTime.SpecifyKind(now, DateTimeKind.Utc));
    }

    private static Schema? FieldSchema(string name, string type, int? scale, bool optional)
    {
        SchemaBuilder? builder = type switch
        {
            "bool" => SchemaBuilder.Bool(),
            "int2" => SchemaBuilder.Int16(),
            "int4" or "oid" => SchemaBuilder.Int32(),
            "int8" => SchemaBuilder.Int64(),
            "float4" => SchemaBuilder.Float32(),
            "float8" => SchemaBuilder.Float64(),
            "text" or "varchar" or "bpchar" or "char" or "name" or "uuid" or "json" or "jsonb" or "citext" => SchemaBuilder.String(),
            "bytea" => SchemaBuilder.Bytes(),
            "numeric" when scale is >= 0 and <= 28 => ConnectDecimal.Builder(scale.Value),
            "numeric" => throw new ConnectException(
                $"Column {name} is a NUMERIC without a scale up to 28 (PostgreSQL's unconstrained NUMERIC): Connect Decimals here hold at most 28 decimal places; " +
                "give the column a scale (NUMERIC(p,s)) or cast it in a query"),
            "date" => DateSchema.Builder(),
            "time" => TimeSchema.Builder(),
            "timestamp" or "timestamptz" => Timestamp.Builder(),
            _ => null,
        };
        if (builder is null) return null;
        if (optional) builder.Optional();
        return builder.Build();
    }

    /// <summary>Runs the mode's statement from the current offset (Confluent's TimestampIncrementingCriteria).</summary>
    public async Task StartQueryAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var sql = (Table is null ? _config.QueryText : "SELECT * FROM " + Source);
        var command = new NpgsqlCommand { Connection = connection };
        var ts = _config.UsesTimestamp ? TimestampExpression() : null;
        var inc = _incrementing is null ? null : _dialect.Identifier(_incrementing);
        switch (_config.SourceMode)
        {
            case SourceMode.Incrementing:
                sql += $" WHERE {inc} > $1 ORDER BY {inc} ASC";
                command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bigint, Value = _lastIncrementing });
                break;
            case SourceMode.Timestamp:
                sql += $" WHERE {ts} > $1 AND {ts} < $2 ORDER BY {ts} ASC";
                command.Parameters.Add(TimestampParameter(OffsetInstant()));
                command.Parameters.Add(TimestampParameter(await EndAsync(connection, ct)));
                break;
            case SourceMode.TimestampIncrementing:
                sql += $" WHERE {ts} < $1 AND (({ts} = $2 AND {inc} > $3) OR {ts} > $2) ORDER BY {ts},{inc} ASC";
                command.Parameters.Add(TimestampParameter(await EndAsync(connection, ct)));
                command.Parameters.Add(TimestampParameter(OffsetInstant()));
                command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bigint, Value = _lastIncrementing });
                break;
        }
        command.CommandText = sql;
        _command = command;
        _reader = await command.ExecuteReaderAsync(ct);
        if (_incrementing is not null)
        {
            _incrementingOrdinal = _reader.GetOrdinal(_incrementing);
            _incrementingIsInt8 = _reader.GetFieldType(_incrementingOrdinal) == typeof(long);
        }
    }

    private string TimestampExpression() =>
        _config.TimestampColumns.Count == 1
            ? _dialect.Identifier(_config.TimestampColumns[0])
            : "COALESCE(" + string.Join(",", _config.TimestampColumns.Select(_dialect.Identifier)) + ")";

    private async Task<DateTime> EndAsync(NpgsqlConnection connection, CancellationToken ct) =>
        (await DatabaseNowAsync(connection, ct)).UtcDateTime.AddMilliseconds(-_config.Delay);

    /// <summary>The offset's instant, to the tick (PostgreSQL keeps microseconds).</summary>
    private DateTime OffsetInstant()
    {
        var ms = _lastTimestampMs ?? 0;
        var seconds = Math.Floor(ms / 1000.0);
        return DateTime.UnixEpoch.AddTicks((long)seconds * TimeSpan.TicksPerSecond + _lastTimestampNanos / 100);
    }

    /// <summary>timestamptz compares instants; a plain timestamp holds wall-clock time in db.timezone.</summary>
    private NpgsqlParameter TimestampParameter(DateTime utc) => _timestampIsTz
        ? new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = DateTime.SpecifyKind(utc, DateTimeKind.Utc) }
        : new NpgsqlParameter
        {
            NpgsqlDbType = NpgsqlDbType.Timestamp,
            Value = DateTime.SpecifyKind(TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), _config.TimeZone), DateTimeKind.Unspecified),
        };

    public async Task<bool> NextAsync(CancellationToken ct) => _reader is not null && await _reader.ReadAsync(ct);

    /// <summary>The current row as a record; the offset moves to it.</summary>
    public SourceRecord Extract()
    {
        var reader = _reader!;
        var row = new Struct(_schema!);
        foreach (var column in _columns)
            row.Put(column.Field, reader.IsDBNull(column.Ordinal) ? null : Read(reader, column));
        Dictionary<string, object?>? offset = null;
        if (_config.SourceMode != SourceMode.Bulk)
        {
            offset = [];
            if (_incrementing is not null)
            {
                _lastIncrementing = _incrementingIsInt8
                    ? reader.GetInt64(_incrementingOrdinal)
                    : Convert.ToInt64(reader.GetValue(_incrementingOrdinal), CultureInfo.InvariantCulture);
                offset["incrementing"] = _lastIncrementing;
            }
            if (_config.UsesTimestamp)
            {
                foreach (var name in _config.TimestampColumns)
                {
                    var ordinal = reader.GetOrdinal(name);
                    if (reader.IsDBNull(ordinal)) continue;
                    var utc = ToUtc(reader.GetFieldValue<DateTime>(ordinal), reader.GetDataTypeName(ordinal).Contains("with time zone", StringComparison.Ordinal));
                    var ticks = utc.Ticks - DateTime.UnixEpoch.Ticks;
                    _lastTimestampMs = (long)Math.Floor(ticks / (double)TimeSpan.TicksPerMillisecond);
                    _lastTimestampNanos = (int)(((ticks % TimeSpan.TicksPerSecond) + TimeSpan.TicksPerSecond) % TimeSpan.TicksPerSecond * 100);
                    break;
                }
                offset["timestamp"] = _lastTimestampMs;
                offset["timestamp_nanos"] = (long)_lastTimestampNanos;
            }
        }
        return new SourceRecord(Partition, offset, Topic, _schema, row);
    }

    private DateTime ToUtc(DateTime value, bool isTz) =>
        isTz || value.Kind == DateTimeKind.Utc
            ? DateTime.SpecifyKind(value, DateTimeKind.Utc)
            : TimeZoneInfo.ConvertTimeToUtc(DateTime.SpecifyKind(value, DateTimeKind.Unspecified), _config.TimeZone);

    private object? Read(NpgsqlDataReader reader, Column column)
    {
        var i = column.Ordinal;
        switch (column.Type)
        {
            case "numeric":
                var scale = ConnectDecimal.Scale(column.Schema);
                return decimal.Parse(reader.GetDecimal(i).ToString("F" + scale, CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
            case "date":
                var date = reader.GetFieldValue<DateOnly>(i);
                return new LogicalTime((date.DayNumber - UnixEpochDay) * LogicalTime.MillisPerDay);
            case "time":
                return new LogicalTime((long)reader.GetFieldValue<TimeOnly>(i).ToTimeSpan().TotalMilliseconds);
            case "timestamp":
            case "timestamptz":
                return LogicalTime.FromDateTime(ToUtc(reader.GetFieldValue<DateTime>(i), column.Type == "timestamptz"));
            case "uuid":
                return reader.GetGuid(i).ToString();
            case "int2": return reader.GetInt16(i);
            case "int4": return reader.GetInt32(i);
            case "oid": return Convert.ToInt32(reader.GetValue(i), CultureInfo.InvariantCulture);
            case "int8": return reader.GetInt64(i);
            case "float4": return reader.GetFloat(i);
            case "float8": return reader.GetDouble(i);
            case "bool": return reader.GetBoolean(i);
            case "bytea": return reader.GetFieldValue<byte[]>(i);
            default: return reader.GetFieldValue<string>(i);
        }
    }

    /// <summary>Closes the result set; the next poll of this table runs the statement again from the offset.</summary>
    public async Task CloseAsync()
    {
        var reader = _reader;
        var command = _command;
        _reader = null;
        _command = null;
        try
        {
            if (reader is not null) await reader.DisposeAsync();
            if (command is not null) await command.DisposeAsync();
        }
        catch (Exception e) when (e is NpgsqlException or IOException or InvalidOperationException)
        {
            // The connection is gone with it; the task reconnects.
        }
    }
}
