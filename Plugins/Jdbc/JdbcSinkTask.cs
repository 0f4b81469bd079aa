using System.Collections;
using System.Globalization;
using System.Net.Sockets;
using Npgsql;
using NpgsqlTypes;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Connect.Sink;

namespace OrleansConnect.Plugins.Jdbc;

/// <summary>Writes each put in one transaction: records grouped per table in runs of one shape and kind (write or
/// delete), each run as multi-row statements of up to batch.size rows, all sent in one Npgsql batch. The put returns
/// once PostgreSQL committed, so the offsets the runtime then commits cover only what the database holds. A transient
/// database error (connection lost, server restarting, serialization failure) throws RetriableException with
/// context.Timeout(retry.backoff.ms), up to max.retries times in a row; the runtime then delivers the same records again.
/// Any other database error fails the task, or, with an errant record reporter (errors.tolerance=all with a dead letter
/// queue or error log), the put is redone record by record and each record the database refuses is reported.</summary>
public sealed class JdbcSinkTask : SinkTask
{
    private JdbcSinkConfig _config = null!;
    private PostgresDialect _dialect = null!;
    private NpgsqlConnection? _connection;
    private int _remainingRetries;
    // Column name → PostgreSQL type name of each table met; a table is read again after DDL or any failure.
    private readonly Dictionary<TableId, Dictionary<string, string>> _tables = [];
    // Whether a table met is a plain or partitioned table without rules (COPY bypasses them) or row-level security (COPY
    // FROM refuses it): one binary COPY may then stand for an INSERT.
    private readonly Dictionary<TableId, bool> _copyable = [];
    private readonly Dictionary<(TableId Table, Schema? Key, Schema? Value), SinkFields> _shapes = [];
    private (TableId Table, Schema? Key, Schema? Value, SinkFields Fields)? _lastShape;

    public override string Version => JdbcVersion.Value;

    public override Task StartAsync(IReadOnlyDictionary<string, string> props, CancellationToken ct)
    {
        _config = new JdbcSinkConfig(props);
        _dialect = new PostgresDialect(_config.QuoteIdentifiers, _config.TimeZone);
        _remainingRetries = _config.Retries;
        return Task.CompletedTask;
    }

    public override async Task PutAsync(IReadOnlyCollection<SinkRecord> records, CancellationToken ct)
    {
        if (records.Count == 0) return;
        var plan = Plan(records);
        try
        {
            await WriteAsync(plan, ct);
        }
        catch (Exception e) when (IsTransient(e) && !ct.IsCancellationRequested)
        {
            await ResetAsync();
            if (_remainingRetries > 0)
            {
                _remainingRetries--;
                Context.Timeout(_config.RetryBackoff);
                throw new RetriableException($"Write of {records.Count} records failed, remainingRetries={_remainingRetries}: {Describe(e)}", e);
            }
            throw new ConnectException($"Write of {records.Count} records failed after {_config.Retries} retries (max.retries): {Describe(e)}", e);
        }
        catch (Exception e) when (e is PostgresException or TableAlterOrCreateException && Context.ErrantRecordReporter is { } reporter)
        {
            await ResetAsync();
            await WriteOneByOneAsync(records, reporter, ct);
        }
        catch (PostgresException e)
        {
            await ResetAsync();
            throw new ConnectException($"Write of {records.Count} records failed: {Describe(e)}", e);
        }
        _remainingRetries = _config.Retries;
    }

    /// <summary>Confluent's unrollAndRetry: each record in a transaction of its own; those the database refuses go to
    /// the errant record reporter (dead letter queue, error log) and the others are written.</summary>
    private async Task WriteOneByOneAsync(IReadOnlyCollection<SinkRecord> records, IErrantRecordReporter reporter, CancellationToken ct)
    {
        foreach (var record in records)
        {
            try
            {
                await WriteAsync(Plan([record]), ct);
            }
            catch (Exception e) when (e is PostgresException or TableAlterOrCreateException)
            {
                await ResetAsync();
                await reporter.ReportAsync(record, e is PostgresException pg ? new ConnectException(Describe(pg), pg) : e, ct);
            }
        }
    }

    private sealed class Run(SinkFields fields, bool delete)
    {
        public SinkFields Fields { get; } = fields;
        public bool Delete { get; } = delete;
        public List<SinkRecord> Records { get; } = [];
    }

    /// <summary>Validates each record as Confluent's RecordValidator does and groups them: per table, runs of
    /// consecutive records of one shape and kind, in the order they came.</summary>
    private Dictionary<TableId, List<Run>> Plan(IEnumerable<SinkRecord> records)
    {
        var plan = new Dictionary<TableId, List<Run>>();
        foreach (var record in records)
        {
            Validate(record);
            var table = TableOf(record.Topic ?? "");
            var delete = record.Value is null;
            var key = (table, record.KeySchema, record.ValueSchema);
            SinkFields? fields;
            // Consecutive records mostly share their schema objects: a reference check spares hashing whole schemas.
            if (_lastShape is { } last && last.Table.Equals(table) && ReferenceEquals(last.Key, key.KeySchema) && ReferenceEquals(last.Value, key.ValueSchema))
                fields = last.Fields;
            else if (!_shapes.TryGetValue(key, out fields))
            {
                fields = SinkFields.Extract(table.ToString(), _config.PkMode, _config.PkFieldNames, _config.Whitelist, key.KeySchema, key.ValueSchema);
                if (_config.InsertMode != InsertMode.Insert && fields.KeyFields.Count == 0)
                    throw new ConnectException($"Write to table '{table}' in {_config.InsertMode.ToString().ToUpperInvariant()} mode requires key field names to be known, check the primary key configuration");
                _shapes[key] = fields;
            }
            _lastShape = (table, key.KeySchema, key.ValueSchema, fields);
            if (!plan.TryGetValue(table, out var runs)) plan[table] = runs = [];
            if (runs.Count == 0 || runs[^1].Delete != delete || !ReferenceEquals(runs[^1].Fields, fields)) runs.Add(new Run(fields, delete));
            runs[^1].Records.Add(record);
        }
        return plan;
    }

    // The table of the last topic met: records come in runs of one topic, so the name is formatted and parsed once a run.
    private (string Topic, TableId Table)? _lastTable;

    private TableId TableOf(string topic)
    {
        if (_lastTable is { } last && string.Equals(last.Topic, topic, StringComparison.Ordinal)) return last.Table;
        var table = TableId.Parse(_config.TableFormat.Replace("${topic}", topic, StringComparison.Ordinal));
        _lastTable = (topic, table);
        return table;
    }

    private void Validate(SinkRecord record)
    {
        var requiresKey = _config.PkMode == PrimaryKeyMode.RecordKey || _config.DeletesEnabled;
        var requiresValue = _config.PkMode is PrimaryKeyMode.RecordValue or PrimaryKeyMode.None || !_config.DeletesEnabled;
        if (requiresKey && (record.Key is null || record.KeySchema is not { } keySchema || !(keySchema.Type == SchemaType.Struct || keySchema.Type.IsPrimitive())))
            throw new ConnectException(
                $"Sink connector '{_config.ConnectorName}' is configured with 'delete.enabled={Lower(_config.DeletesEnabled)}' and 'pk.mode={_config.PkModeText}' " +
                "and therefore requires records with a non-null key and non-null Struct or primitive key schema, but found record at " +
                $"(topic='{record.Topic}',partition={record.KafkaPartition},offset={record.KafkaOffset},timestamp={Text(record.Timestamp)}) " +
                $"with a {JavaType(record.Key)} key and {SchemaName(record.KeySchema)} key schema.");
        if (requiresValue && (record.Value is null || record.ValueSchema is not { Type: SchemaType.Struct }))
            throw new ConnectException(
                $"Sink connector '{_config.ConnectorName}' is configured with 'delete.enabled={Lower(_config.DeletesEnabled)}' and 'pk.mode={_config.PkModeText}' " +
                "and therefore requires records with a non-null Struct value and non-null Struct schema, but found record at " +
                $"(topic='{record.Topic}',partition={record.KafkaPartition},offset={record.KafkaOffset},timestamp={Text(record.Timestamp)}) " +
                $"with a {JavaType(record.Value)} value and {SchemaName(record.ValueSchema)} value schema.");
    }

    private static string Lower(bool value) => value ? "true" : "false";
    private static string Text(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "null";
    private static string SchemaName(Schema? schema) => schema is null ? "null" : schema.Type.ToConnectName();

    /// <summary>The Java class Connect would hold the value as, for messages that read as Confluent's.</summary>
    private static string JavaType(object? value) => value switch
    {
        null => "null",
        Struct => "org.apache.kafka.connect.data.Struct",
        string => "java.lang.String",
        long => "java.lang.Long",
        int => "java.lang.Integer",
        short => "java.lang.Short",
        sbyte => "java.lang.Byte",
        bool => "java.lang.Boolean",
        double => "java.lang.Double",
        float => "java.lang.Float",
        decimal => "java.math.BigDecimal",
        byte[] => "[B",
        LogicalTime => "java.util.Date",
        IDictionary => "java.util.HashMap",
        IList => "java.util.ArrayList",
        _ => value.GetType().FullName ?? "unknown",
    };

    private async Task WriteAsync(Dictionary<TableId, List<Run>> plan, CancellationToken ct)
    {
        var connection = await ConnectionAsync(ct);
        foreach (var (table, runs) in plan) await EnsureTableAsync(connection, table, runs, ct);

        await using var transaction = await connection.BeginTransactionAsync(ct);
        var batch = new NpgsqlBatch(connection, transaction);
        try
        {
            foreach (var (table, runs) in plan)
            {
                var columnTypes = _tables[table];
                foreach (var run in runs)
                {
                    if (run.Delete) AddDeletes(batch, table, run, columnTypes);
                    else if (_config.InsertMode == InsertMode.Update) AddUpdates(batch, table, run, columnTypes);
                    else if (_config.InsertMode == InsertMode.Insert && CopyColumns(table, run.Fields, columnTypes) is { } copy)
                    {
                        // Statements before the COPY go first: the table sees the records in their order.
                        if (batch.BatchCommands.Count > 0)
                        {
                            await batch.ExecuteNonQueryAsync(ct);
                            await batch.DisposeAsync();
                            batch = new NpgsqlBatch(connection, transaction);
                        }
                        await CopyAsync(connection, table, run, copy, ct);
                    }
                    else AddInserts(batch, table, run, columnTypes);
                }
            }
            if (batch.BatchCommands.Count > 0) await batch.ExecuteNonQueryAsync(ct);
        }
        finally
        {
            await batch.DisposeAsync();
        }
        await transaction.CommitAsync(ct);
    }

    /// <summary>How a column's values are written in PostgreSQL's binary COPY format: the column's type must be the one
    /// the Connect type binds as, since binary COPY, unlike INSERT, does not cast.</summary>
    private enum CopyKind { Int2, Int4, Int8, Float4, Float8, Bool, Text, Bytea, Numeric, Date, Time, Timestamp }

    /// <summary>For insert.mode=insert into a plain table (no rules, no row-level security) whose columns have exactly
    /// the types the record's fields bind as: how to write each column (key columns first) with binary COPY, which
    /// PostgreSQL loads with far less work than an INSERT of the same rows. Null when the run takes the INSERT path.</summary>
    private CopyKind[]? CopyColumns(TableId table, SinkFields fields, Dictionary<string, string> columnTypes)
    {
        if (!_copyable.GetValueOrDefault(table)) return null;
        var kinds = new CopyKind[fields.KeyFields.Count + fields.NonKeyFields.Count];
        for (var i = 0; i < kinds.Length; i++)
        {
            var field = i < fields.KeyFields.Count ? fields.KeyFields[i] : fields.NonKeyFields[i - fields.KeyFields.Count];
            if (!columnTypes.TryGetValue(ColumnKey(field.Name), out var udt) || CopyKindOf(field.Schema) is not { } kind || CopyType(kind) != udt) return null;
            kinds[i] = kind;
        }
        return kinds;
    }

    private static CopyKind? CopyKindOf(Schema schema)
    {
        switch (schema.Name)
        {
            case ConnectDecimal.LogicalName: return CopyKind.Numeric;
            case Date.LogicalName: return CopyKind.Date;
            case Time.LogicalName: return CopyKind.Time;
            case Timestamp.LogicalName: return CopyKind.Timestamp;
        }
        return schema.Type switch
        {
            SchemaType.Int8 or SchemaType.Int16 => CopyKind.Int2,
            SchemaType.Int32 => CopyKind.Int4,
            SchemaType.Int64 => CopyKind.Int8,
            SchemaType.Float32 => CopyKind.Float4,
            SchemaType.Float64 => CopyKind.Float8,
            SchemaType.Boolean => CopyKind.Bool,
            SchemaType.String => CopyKind.Text,
            SchemaType.Bytes => CopyKind.Bytea,
            _ => null,
        };
    }

    /// <summary>The column type (information_schema's udt_name) a binary COPY of the kind needs.</summary>
    private static string CopyType(CopyKind kind) => kind switch
    {
        CopyKind.Int2 => "int2",
        CopyKind.Int4 => "int4",
        CopyKind.Int8 => "int8",
        CopyKind.Float4 => "float4",
        CopyKind.Float8 => "float8",
        CopyKind.Bool => "bool",
        CopyKind.Text => "text",
        CopyKind.Bytea => "bytea",
        CopyKind.Numeric => "numeric",
        CopyKind.Date => "date",
        CopyKind.Time => "time",
        _ => "timestamp",
    };

    private async Task CopyAsync(NpgsqlConnection connection, TableId table, Run run, CopyKind[] kinds, CancellationToken ct)
    {
        var fields = run.Fields;
        var sql = _dialect.CopyIn(table, [.. fields.KeyFields, .. fields.NonKeyFields]);
        await using var importer = await connection.BeginBinaryImportAsync(sql, ct);
        foreach (var record in run.Records)
        {
            await importer.StartRowAsync(ct);
            for (var c = 0; c < kinds.Length; c++)
            {
                var value = fields.ValueOf(record, c);
                if (value is null)
                {
                    await importer.WriteNullAsync(ct);
                    continue;
                }
                switch (kinds[c])
                {
                    case CopyKind.Int2:
                        await importer.WriteAsync(value is sbyte b ? b : (short)value, NpgsqlDbType.Smallint, ct);
                        break;
                    case CopyKind.Int4:
                        await importer.WriteAsync((int)value, NpgsqlDbType.Integer, ct);
                        break;
                    case CopyKind.Int8:
                        await importer.WriteAsync((long)value, NpgsqlDbType.Bigint, ct);
                        break;
                    case CopyKind.Float4:
                        await importer.WriteAsync((float)value, NpgsqlDbType.Real, ct);
                        break;
                    case CopyKind.Float8:
                        await importer.WriteAsync((double)value, NpgsqlDbType.Double, ct);
                        break;
                    case CopyKind.Bool:
                        await importer.WriteAsync((bool)value, NpgsqlDbType.Boolean, ct);
                        break;
                    case CopyKind.Text:
                        await importer.WriteAsync((string)value, NpgsqlDbType.Text, ct);
                        break;
                    case CopyKind.Bytea:
                        await importer.WriteAsync((byte[])value, NpgsqlDbType.Bytea, ct);
                        break;
                    case CopyKind.Numeric:
                        await importer.WriteAsync((decimal)value, NpgsqlDbType.Numeric, ct);
                        break;
                    default:
                        // Date, time and timestamp are written as the INSERT path binds them (db.timezone).
                        var schema = c < fields.KeyFields.Count ? fields.KeyFields[c].Schema : fields.NonKeyFields[c - fields.KeyFields.Count].Schema;
                        var (type, bound) = _dialect.Bind(schema, value);
                        if (bound is DateTime timestamp) await importer.WriteAsync(timestamp, type, ct);
                        else if (bound is DateOnly date) await importer.WriteAsync(date, type, ct);
                        else await importer.WriteAsync((TimeOnly)bound, type, ct);
                        break;
                }
            }
        }
        await importer.CompleteAsync(ct);
    }

    private int RowsPerStatement(int columns) => Math.Max(1, Math.Min(_config.Batch <= 0 ? 1 : _config.Batch, PostgresDialect.MaxParameters / Math.Max(1, columns)));

    private void AddInserts(NpgsqlBatch batch, TableId table, Run run, Dictionary<string, string> columnTypes)
    {
        var fields = run.Fields;
        var columns = fields.KeyFields.Concat(fields.NonKeyFields).ToList();
        var upsert = _config.InsertMode == InsertMode.Upsert;
        IEnumerable<SinkRecord> records = run.Records;
        if (upsert)
        {
            // One statement cannot upsert a row twice: the last record of a key wins, as running them one by one would.
            // A single key column's value is its own dictionary key; other keys go by their text.
            var at = new Dictionary<object, int>(run.Records.Count);
            var last = new List<SinkRecord>(run.Records.Count);
            foreach (var record in run.Records)
            {
                var key = fields.KeyFields.Count == 1 && fields.ValueOf(record, 0) is { } single and not byte[] ? single : KeyText(fields.KeyValues(record));
                if (at.TryGetValue(key, out var index)) last[index] = record;
                else
                {
                    at[key] = last.Count;
                    last.Add(record);
                }
            }
            records = last;
        }
        if (columns.All(c => PostgresDialect.Unnestable(c, columnTypes)))
        {
            var sql = _dialect.InsertUnnest(table, fields.KeyFields, columns, upsert);
            foreach (var chunk in records.Chunk(Math.Max(1, _config.Batch)))
            {
                var command = new NpgsqlBatchCommand(sql);
                var column = new object?[chunk.Length];
                for (var c = 0; c < columns.Count; c++)
                {
                    for (var r = 0; r < chunk.Length; r++) column[r] = fields.ValueOf(chunk[r], c);
                    command.Parameters.Add(_dialect.ColumnArray(columns[c].Schema, column));
                }
                batch.BatchCommands.Add(command);
            }
            return;
        }
        var perStatement = RowsPerStatement(columns.Count);
        foreach (var chunk in records.Chunk(perStatement))
        {
            var command = new NpgsqlBatchCommand(_dialect.Insert(table, fields.KeyFields, columns, chunk.Length, upsert, columnTypes));
            foreach (var record in chunk)
            {
                AddParameters(command, fields.KeyFields, fields.KeyValues(record), columnTypes);
                AddParameters(command, fields.NonKeyFields, fields.NonKeyValues(record), columnTypes);
            }
            batch.BatchCommands.Add(command);
        }
    }

    private void AddUpdates(NpgsqlBatch batch, TableId table, Run run, Dictionary<string, string> columnTypes)
    {
        var fields = run.Fields;
        if (fields.NonKeyFields.Count == 0) return;
        var sql = _dialect.Update(table, fields.KeyFields, fields.NonKeyFields, columnTypes);
        foreach (var record in run.Records)
        {
            var command = new NpgsqlBatchCommand(sql);
            AddParameters(command, fields.NonKeyFields, fields.NonKeyValues(record), columnTypes);
            AddParameters(command, fields.KeyFields, fields.KeyValues(record), columnTypes);
            batch.BatchCommands.Add(command);
        }
    }

    private void AddDeletes(NpgsqlBatch batch, TableId table, Run run, Dictionary<string, string> columnTypes)
    {
        var keys = run.Fields.KeyFields;
        foreach (var chunk in run.Records.Chunk(RowsPerStatement(keys.Count)))
        {
            var command = new NpgsqlBatchCommand(_dialect.Delete(table, keys, chunk.Length, columnTypes));
            foreach (var record in chunk) AddParameters(command, keys, run.Fields.KeyValues(record), columnTypes);
            batch.BatchCommands.Add(command);
        }
    }

    private void AddParameters(NpgsqlBatchCommand command, IReadOnlyList<SinkField> fields, object?[] values, Dictionary<string, string> columnTypes)
    {
        for (var i = 0; i < fields.Count; i++)
        {
            var field = fields[i];
            if (PostgresDialect.BindsAsText(field.Name, columnTypes))
            {
                command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = values[i]?.ToString() ?? (object)DBNull.Value });
                continue;
            }
            var (type, value) = _dialect.Bind(field.Schema, values[i]);
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = type, Value = value });
        }
    }

    private static string KeyText(object?[] values) =>
        string.Join("\u0001", values.Select(v => v switch
        {
            null => "\u0000",
            byte[] bytes => Convert.ToBase64String(bytes),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => v.ToString(),
        }));

    /// <summary>Reads the table's columns; creates the table (auto.create) or adds the columns a record shape needs
    /// (auto.evolve), or refuses as Confluent's sink does when that is off.</summary>
    private async Task EnsureTableAsync(NpgsqlConnection connection, TableId table, List<Run> runs, CancellationToken ct)
    {
        if (!_tables.TryGetValue(table, out var columns))
        {
            columns = await ColumnsAsync(connection, table, ct);
            if (columns.Count == 0)
            {
                if (!_config.AutoCreateTables)
                    throw new TableAlterOrCreateException($"Table {table} is missing and auto-creation is disabled");
                var shape = runs.FirstOrDefault(r => !r.Delete)?.Fields ?? runs[0].Fields;
                await ExecuteDdlAsync(connection, _dialect.CreateTable(table, shape.AllFields), ct);
                columns = await ColumnsAsync(connection, table, ct);
            }
            _copyable[table] = await CopyableAsync(connection, table, ct);
            _tables[table] = columns;
        }
        foreach (var run in runs)
        {
            var missing = run.Fields.AllFields.Where(f => !columns.ContainsKey(ColumnKey(f.Name))).ToList();
            if (missing.Count == 0) continue;
            if (!_config.AutoEvolveTables)
                throw new TableAlterOrCreateException($"Table {table} is missing fields ({string.Join(", ", missing.Select(Describe))}) and auto-evolution is disabled");
            foreach (var field in missing)
                if (!field.IsOptional && field.Schema.DefaultValue is null)
                    throw new TableAlterOrCreateException($"Cannot ALTER TABLE {table} to add missing field {Describe(field)}, as the field is not optional and does not have a default value");
            await ExecuteDdlAsync(connection, _dialect.AddColumns(table, missing), ct);
            columns = await ColumnsAsync(connection, table, ct);
            _tables[table] = columns;
        }
    }

    private static string Describe(SinkField field) =>
        $"SinkRecordField{{schema=Schema{{{field.Schema.Name ?? field.Schema.Type.ToConnectName()}}}, name='{field.Name}', isPrimaryKey={(field.IsPrimaryKey ? "true" : "false")}}}";

    /// <summary>Unquoted identifiers fold to lower case in PostgreSQL.</summary>
    private string ColumnKey(string name) => _dialect.QuoteIdentifiers ? name : name.ToLowerInvariant();

    private async Task<Dictionary<string, string>> ColumnsAsync(NpgsqlConnection connection, TableId table, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "SELECT column_name, udt_name FROM information_schema.columns WHERE table_schema = COALESCE($1, current_schema()) AND table_name = $2",
            connection);
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)Fold(table.Schema) ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = Fold(table.Name)! });
        var columns = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) columns[reader.GetString(0)] = reader.GetString(1);
        return columns;
    }

    private async Task<bool> CopyableAsync(NpgsqlConnection connection, TableId table, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "SELECT c.relkind IN ('r', 'p') AND NOT c.relhasrules AND NOT c.relrowsecurity FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace " +
            "WHERE n.nspname = COALESCE($1, current_schema()) AND c.relname = $2",
            connection);
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)Fold(table.Schema) ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = Fold(table.Name)! });
        return await command.ExecuteScalarAsync(ct) is true;
    }

    private string? Fold(string? name) => name is null || _dialect.QuoteIdentifiers ? name : name.ToLowerInvariant();

    private static async Task ExecuteDdlAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    private async Task<NpgsqlConnection> ConnectionAsync(CancellationToken ct)
    {
        if (_connection is { State: System.Data.ConnectionState.Open } open) return open;
        await ResetAsync();
        var builder = _config.ConnectionString();
        // PostgreSQL's DETAIL (which row, which key) makes a failed write's trace readable.
        builder.IncludeErrorDetail = true;
        // The sink's statements repeat (one text per table, shape and kind): prepared once, planned once.
        if (builder.MaxAutoPrepare == 0) builder.MaxAutoPrepare = 32;
        for (var attempt = 1; ; attempt++)
        {
            var connection = new NpgsqlConnection(builder.ConnectionString);
            try
            {
                await connection.OpenAsync(ct);
                _connection = connection;
                return connection;
            }
            catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException)
            {
                await connection.DisposeAsync();
                var where = $"{builder.Host}:{builder.Port}/{builder.Database}";
                if (!IsTransient(e))
                    throw new ConnectException($"Cannot connect to PostgreSQL at {where} as user '{builder.Username}': {Describe(e)}", e);
                if (attempt >= _config.ConnectionAttempts)
                    throw new NpgsqlException($"Cannot connect to PostgreSQL at {where} after {attempt} attempts (connection.attempts): {Describe(e)}", e);
                await Task.Delay(TimeSpan.FromMilliseconds(_config.ConnectionBackoffMs), ct);
            }
        }
    }

    /// <summary>Drops the connection and what was read through it: after a failure neither can be trusted.</summary>
    private async Task ResetAsync()
    {
        _tables.Clear();
        _copyable.Clear();
        var connection = _connection;
        _connection = null;
        if (connection is not null)
        {
            try { await connection.DisposeAsync(); }
            catch (Exception e) when (e is NpgsqlException or IOException or SocketException) { }
        }
    }

    /// <summary>Errors a retry may cure: the connection or server went away, or the server asks to try again.</summary>
    internal static bool IsTransient(Exception e) => e switch
    {
        PostgresException pg => pg.SqlState.StartsWith("08", StringComparison.Ordinal) || pg.SqlState.StartsWith("53", StringComparison.Ordinal)
                                || pg.SqlState.StartsWith("57P", StringComparison.Ordinal) || pg.SqlState.StartsWith("58", StringComparison.Ordinal)
                                || pg.SqlState is "40001" or "40P01" or "55P03",
        NpgsqlException => true,
        SocketException or TimeoutException or IOException => true,
        _ => false,
    };

    internal static string Describe(Exception e) => e switch
    {
        PostgresException pg => $"{pg.MessageText} (SQLSTATE {pg.SqlState})" + (string.IsNullOrEmpty(pg.Detail) ? "" : $" {pg.Detail}"),
        NpgsqlException { InnerException: { } inner } n when n.Message.StartsWith("Cannot connect", StringComparison.Ordinal) => n.Message,
        NpgsqlException { InnerException: { } inner } n => $"{n.Message} ({inner.Message})",
        _ => e.Message,
    };

    public override async Task StopAsync(CancellationToken ct) => await ResetAsync();
}

/// <summary>The table is missing, or lacks columns, and the configuration does not allow creating or altering it.</summary>
public sealed class TableAlterOrCreateException(string message) : ConnectException(message);
