using System.Data;
using System.Threading.Channels;
using Npgsql;
using Npgsql.Replication;
using Npgsql.Replication.PgOutput;
using Npgsql.Replication.PgOutput.Messages;
using NpgsqlTypes;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Connect.Header;
using OrleansConnect.Connect.Plugins;
using OrleansConnect.Connect.Source;

namespace OrleansConnect.Plugins.Postgres;

/// <summary>Captures changes of one PostgreSQL database: a consistent snapshot exported by the slot's creation
/// (op=r), then the slot's pgoutput stream from its consistent point (c/u/d/t). A background loop reads the database
/// into a bounded queue that <see cref="PollAsync"/> drains. The flushed LSN is confirmed to the server only from
/// committed offsets (<see cref="CommitAsync"/>), and, while nothing is pending, from the server's keepalives so that
/// an idle slot does not hold WAL back.</summary>
public sealed class PostgresSourceTask : SourceTask
{
    public const string ServerKey = "server";
    private static readonly TimeSpan ConfirmPeriod = TimeSpan.FromSeconds(1);

    private PostgresConnectorConfig _config = null!;
    private IReadOnlyDictionary<string, object?> _partition = null!;
    private Channel<SourceRecord> _queue = null!;
    private CancellationTokenSource _stop = new();
    private Task? _reader;
    private Task? _confirmer;
    private Task? _heartbeat;
    private volatile Exception? _failure;
    private PlannedStart _plan;
    private readonly object _lock = new();

    // Guarded by _lock: what was handed to the queue, what is committed, and the stream's idle state.
    private IReadOnlyDictionary<string, object?>? _lastEnqueuedOffset;
    private IReadOnlyDictionary<string, object?>? _committedOffset;
    private bool _inTransaction;
    private ulong _lastTransactionEnd;
    private long _messages;
    private LogicalReplicationConnection? _replication;
    private ulong _confirmed;
    // Guarded by _lock: a position every change before which is handled and committed (0 while changes are pending).
    private ulong _idleLsn;
    // provide.transaction.metadata: BEGIN/END records and the events' transaction blocks (null when off).
    private TransactionMetadata? _transactions;
    private IReadOnlyDictionary<string, object?>? _resumeOffset;

    public override string Version => AppInfo.KafkaVersion;

    /// <summary>What the start decided: snapshot or not, the slot's state, where to resume.</summary>
    private readonly record struct PlannedStart(bool Snapshot, bool SlotExists, ulong? ResumeCommit, ulong? ResumeLsn);

    public override async Task StartAsync(IReadOnlyDictionary<string, string> props, CancellationToken ct)
    {
        _config = PostgresConnectorConfig.Parse(props);
        _partition = new Dictionary<string, object?> { [ServerKey] = _config.Prefix };
        // Synchronous continuations: a poll waiting for records goes on on the reader's thread (and a reader waiting for
        // room on the poll's), instead of a thread-pool hop and a wake-up per record when the queue runs nearly empty,
        // as it does while streaming small transactions. Several writers: the stream loop and the heartbeats.
        _queue = Channel.CreateBounded<SourceRecord>(new BoundedChannelOptions(_config.QueueSize)
        {
            SingleReader = true,
            SingleWriter = false,
            AllowSynchronousContinuations = true,
        });
        _stop = new CancellationTokenSource();

        await using var connection = await OpenAsync(_config, "orleansconnect-check", ct);
        await PostgresConnectionCheck.CheckServerAsync(_config, connection, ct);
        await EnsurePublicationAsync(connection, ct);
        var slot = await SlotStateAsync(connection, ct);

        var stored = Context.OffsetStorageReader.Offset(_partition);
        var streamed = stored is not null && !IsSnapshotOffset(stored);
        var snapshotUnfinished = stored is not null && IsSnapshotOffset(stored) && !IsSnapshotCompleted(stored);
        var snapshot = _config.Snapshot switch
        {
            "always" => true,
            "no_data" => false,
            "when_needed" => stored is null || snapshotUnfinished || !slot.Exists,
            // initial, initial_only: a snapshot when none completed (one a crash interrupted starts again).
            _ => stored is null || snapshotUnfinished,
        };
        if (stored is not null && !slot.Exists && !snapshot)
            throw new ConnectException($"The stored offset of '{_config.Prefix}' resumes at LSN {Lsn(stored, "lsn_commit") ?? Lsn(stored, "lsn")}, "
                + $"but the replication slot '{_config.Slot}' does not exist any more: changes since then are lost. Use snapshot.mode=when_needed "
                + "(or delete the connector's offsets) to take a new snapshot.");
        _plan = new PlannedStart(snapshot, slot.Exists,
            streamed ? Lsn(stored!, "lsn_commit") ?? Lsn(stored!, "lsn") : null,
            streamed ? Lsn(stored!, "lsn") : null);
        if (stored is not null) _committedOffset = stored;
        if (streamed) _resumeOffset = stored;
        _transactions = _config.TransactionTopic is { } transactionTopic ? new TransactionMetadata(transactionTopic, _partition) : null;

        _reader = Task.Run(() => RunAsync(_stop.Token));
        _confirmer = Task.Run(() => ConfirmLoopAsync(_stop.Token));
        if (_config.HeartbeatInterval > 0) _heartbeat = Task.Run(() => HeartbeatLoopAsync(_stop.Token));
    }

    public override async Task<IReadOnlyList<SourceRecord>?> PollAsync(CancellationToken ct)
    {
        ThrowIfFailed();
        var batch = Drain(null);
        if (batch is null)
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
            wait.CancelAfter(TimeSpan.FromMilliseconds(Math.Max(1, _config.PollInterval)));
            try
            {
                if (!await _queue.Reader.WaitToReadAsync(wait.Token)) ThrowIfFailed();
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested) { }
            catch (ChannelClosedException) { }
            ThrowIfFailed();
            batch = Drain(null);
        }
        if (batch is not null && batch.Count < _config.BatchSize)
        {
            // Changes trickling in (small transactions, each its own message from the server) would otherwise be sent
            // one per poll, each with its own wake-ups of this loop and of the producer: a few milliseconds' wait
            // lets them go as one batch. A full batch goes at once.
            try { await Task.Delay(BatchLinger, ct); }
            catch (OperationCanceledException) { return batch; }
            batch = Drain(batch);
        }
        return batch;
    }

    private static readonly TimeSpan BatchLinger = TimeSpan.FromMilliseconds(5);

    private List<SourceRecord>? Drain(List<SourceRecord>? batch)
    {
        while (batch is null || batch.Count < _config.BatchSize)
        {
            if (!_queue.Reader.TryRead(out var record)) break;
            (batch ??= new List<SourceRecord>(Math.Min(_config.BatchSize, 256))).Add(record);
        }
        return batch;
    }

    private void ThrowIfFailed()
    {
        if (_failure is { } e)
            throw e as ConnectException ?? new ConnectException($"PostgreSQL connector '{_config.Prefix}' failed: {e.Message}", e);
    }

    /// <summary>The offsets up to here are committed in Kafka: confirm the LSN they cover to the server.</summary>
    public override Task CommitAsync(CancellationToken ct)
    {
        var committed = Context.OffsetStorageReader.Offset(_partition);
        lock (_lock) _committedOffset = committed;
        return Task.CompletedTask;
    }

    public override async Task StopAsync(CancellationToken ct)
    {
        await _stop.CancelAsync();
        foreach (var task in new[] { _reader, _confirmer, _heartbeat })
        {
            if (task is null) continue;
            try { await task; }
            // Its failure was reported through PollAsync already.
            catch (Exception e) when (e is not OutOfMemoryException) { }
        }
        if (_config.DropSlotOnStop)
        {
            await using var connection = await OpenAsync(_config, "orleansconnect-stop", ct);
            await using var command = new NpgsqlCommand("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1", connection);
            command.Parameters.AddWithValue(_config.Slot);
            await command.ExecuteNonQueryAsync(ct);
        }
        _stop.Dispose();
    }

    // ---- start checks ----

    /// <summary>Opens a connection with the text formats the converters read (the same as the walsender's).</summary>
    internal static async Task<NpgsqlConnection> OpenAsync(PostgresConnectorConfig config, string application, CancellationToken ct)
    {
        var connection = new NpgsqlConnection(config.ConnectionString(application) + ";Options='-c DateStyle=ISO -c bytea_output=hex -c extra_float_digits=1'");
        try
        {
            await connection.OpenAsync(ct);
            return connection;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            await connection.DisposeAsync();
            throw Explain(config, e);
        }
    }

    /// <summary>A readable message for a failed connection: which setting to look at.</summary>
    internal static ConnectException Explain(PostgresConnectorConfig config, Exception e)
    {
        var where = $"PostgreSQL at {config.Host}:{config.PortNumber}";
        return e switch
        {
            PostgresException { SqlState: "28P01" or "28000" } p =>
                new ConnectException($"{where} refused user '{config.UserName}': {p.MessageText} (check database.user and database.password)", e),
            PostgresException { SqlState: "3D000" } p =>
                new ConnectException($"{where}: database '{config.Database}' does not exist ({p.MessageText}; check database.dbname)", e),
            PostgresException p => new ConnectException($"{where}: {p.SqlState} {p.MessageText}", e),
            _ => new ConnectException($"Cannot connect to {where} (check database.hostname and database.port): {e.Message}", e),
        };
    }

    /// <summary>publication.autocreate.mode: create (all_tables, no_tables, filtered) or require (disabled) the publication.</summary>
    private async Task EnsurePublicationAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        bool exists;
        await using (var command = new NpgsqlCommand("SELECT count(*) FROM pg_publication WHERE pubname = $1", connection))
        {
            command.Parameters.AddWithValue(_config.Publication);
            exists = (long)(await command.ExecuteScalarAsync(ct))! > 0;
        }
        var name = Quote(_config.Publication);
        string? sql = _config.PublicationMode switch
        {
            "disabled" when !exists => throw new ConnectException(
                $"Publication '{_config.Publication}' does not exist and publication.autocreate.mode is disabled: create it "
                + $"(CREATE PUBLICATION {name} FOR TABLE ...) or set publication.autocreate.mode to all_tables or filtered"),
            "all_tables" when !exists => $"CREATE PUBLICATION {name} FOR ALL TABLES",
            "no_tables" when !exists => $"CREATE PUBLICATION {name}",
            "filtered" => await FilteredPublicationSqlAsync(connection, name, exists, ct),
            _ => null,
        };
        if (sql is null) return;
        await using var create = new NpgsqlCommand(sql, connection);
        try { await create.ExecuteNonQueryAsync(ct); }
        catch (PostgresException e)
        {
            throw new ConnectException($"Could not create or alter publication '{_config.Publication}' ({sql}): {e.MessageText}", e);
        }
    }

    private async Task<string?> FilteredPublicationSqlAsync(NpgsqlConnection connection, string name, bool exists, CancellationToken ct)
    {
        var tables = (await new PgCatalog(connection).ListTablesAsync(ct))
            .Where(t => _config.Filter.IncludesTable(t.Schema, t.Name)).Select(t => Quote(t.Schema) + "." + Quote(t.Name)).ToList();
        if (tables.Count == 0) return exists ? null : $"CREATE PUBLICATION {name}";
        return exists ? $"ALTER PUBLICATION {name} SET TABLE {string.Join(", ", tables)}" : $"CREATE PUBLICATION {name} FOR TABLE {string.Join(", ", tables)}";
    }

    private async Task<(bool Exists, ulong ConfirmedFlush)> SlotStateAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "SELECT plugin, database, active, active_pid, confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1", connection);
        command.Parameters.AddWithValue(_config.Slot);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return (false, 0);
        var plugin = reader.IsDBNull(0) ? null : reader.GetString(0);
        var database = reader.IsDBNull(1) ? null : reader.GetString(1);
        if (plugin != "pgoutput" || database != _config.Database)
            throw new ConnectException($"Replication slot '{_config.Slot}' exists for plugin {plugin ?? "(physical)"} on database {database ?? "(none)"}; "
                + "this connector needs a pgoutput slot of its own database: choose another slot.name");
        if (reader.GetBoolean(2))
            throw new ConnectException($"Replication slot '{_config.Slot}' is active for PID {(reader.IsDBNull(3) ? "?" : reader.GetInt32(3))}: another connector "
                + "or process streams from it (each connector needs its own slot.name); after a crash the server frees it within wal_sender_timeout");
        var flushed = reader.IsDBNull(4) ? 0 : (ulong)NpgsqlLogSequenceNumber.Parse(reader.GetString(4));
        return (true, flushed);
    }

    // ---- snapshot and streaming ----

    private async Task RunAsync(CancellationToken ct)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(_config.ConnectionString("orleansconnect-" + _config.Slot))
            {
                Options = "-c DateStyle=ISO -c bytea_output=hex -c extra_float_digits=1",
            };
            await using var replication = new LogicalReplicationConnection(builder.ConnectionString);
            replication.WalReceiverStatusInterval = TimeSpan.FromMilliseconds(_config.StatusInterval);
            try { await replication.Open(ct); }
            catch (Exception e) when (e is NpgsqlException or TimeoutException) { throw Explain(_config, e); }

            PgOutputReplicationSlot slot;
            NpgsqlLogSequenceNumber? start = null;
            if (!_plan.SlotExists)
            {
                // The exported snapshot is valid until the next command on this connection: read it before streaming.
                slot = await replication.CreatePgOutputReplicationSlot(_config.Slot, false,
                    _plan.Snapshot ? LogicalSlotSnapshotInitMode.Export : LogicalSlotSnapshotInitMode.NoExport, false, ct);
                if (_plan.Snapshot) await SnapshotAsync(slot.SnapshotName, (ulong)slot.ConsistentPoint, ct);
                start = slot.ConsistentPoint;
            }
            else
            {
                slot = new PgOutputReplicationSlot(_config.Slot);
                // Without an exported snapshot the rows are read as of now and the stream replays from the slot's
                // position: changes in between may arrive twice, none is lost.
                if (_plan.Snapshot) await SnapshotAsync(null, null, ct);
                if (_plan.ResumeCommit is { } resume && !_plan.Snapshot) start = new NpgsqlLogSequenceNumber(resume);
            }
            if (_config.Snapshot == "initial_only") return;
            lock (_lock) _replication = replication;
            try { await StreamAsync(replication, slot, start, ct); }
            finally { lock (_lock) _replication = null; }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        catch (Exception e)
        {
            _failure = e is PostgresException or NpgsqlException ? Explain(_config, e) : e;
            _queue.Writer.TryComplete();
        }
    }

    private async Task SnapshotAsync(string? snapshotName, ulong? consistentPoint, CancellationToken ct)
    {
        await using var connection = await OpenAsync(_config, "orleansconnect-snapshot", ct);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        if (snapshotName is not null)
        {
            await using var set = new NpgsqlCommand($"SET TRANSACTION SNAPSHOT '{snapshotName}'", connection, transaction);
            await set.ExecuteNonQueryAsync(ct);
        }
        long txId;
        ulong lsn;
        await using (var info = new NpgsqlCommand("SELECT txid_current(), pg_current_wal_lsn()::text", connection, transaction))
        {
            await using var reader = await info.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            txId = reader.GetInt64(0);
            lsn = consistentPoint ?? (ulong)NpgsqlLogSequenceNumber.Parse(reader.GetString(1));
        }
        var startedMicros = ChangeEvents.NowMicros();
        var catalog = new PgCatalog(connection);
        var tables = (await catalog.ListTablesAsync(ct)).Where(t => _config.Filter.IncludesTable(t.Schema, t.Name)).ToList();

        // Debezium's markers: first (of the snapshot), first_in_data_collection, last_in_data_collection, last (of
        // the snapshot), else true. A record is held back until the next one shows whether it was a last.
        (TableSchema Table, Cell[] Row, bool FirstInTable, bool FirstTable, bool LastTable)? held = null;
        async Task EmitHeldAsync(bool lastInTable, bool lastOfAll)
        {
            if (held is not { } h) return;
            held = null;
            var marker = lastOfAll ? "last"
                : h.FirstTable && h.FirstInTable ? "first"
                : lastInTable && h.LastTable ? "last"
                : lastInTable ? "last_in_data_collection"
                : h.FirstInTable ? "first_in_data_collection" : "true";
            var offset = new Dictionary<string, object?>(6)
            {
                ["last_snapshot_record"] = lastOfAll,
                ["lsn"] = (long)lsn,
                ["txId"] = txId,
                ["ts_usec"] = startedMicros,
                ["snapshot"] = "INITIAL",
                ["snapshot_completed"] = lastOfAll,
            };
            var source = ChangeEvents.Source(Version, _config.Prefix, _config.Database, h.Table.Table, startedMicros, marker, null, lsn, txId);
            var record = ChangeEvents.Record(h.Table, _partition, offset, "r", h.Table.Key(h.Row), null, h.Table.Value(h.Row), source);
            await EnqueueAsync(record, ct);
        }

        for (var t = 0; t < tables.Count; t++)
        {
            var loaded = await catalog.LoadTableAsync(tables[t].Oid, ct);
            if (loaded is null) continue;
            var schema = new TableSchema(loaded, _config);
            var select = "SELECT " + (loaded.Columns.Count == 0 ? "1" : string.Join(", ", loaded.Columns.Select(c => Quote(c.Name))))
                + " FROM " + Quote(loaded.Schema) + "." + Quote(loaded.Name);
            // Every column in its text output form, as pgoutput sends it (a ::text cast would differ: bool, char(n)).
            await using var command = new NpgsqlCommand(select, connection, transaction) { AllResultTypesAreUnknown = true };
            // Not SequentialAccess: ReadAsync buffers the whole row, so its columns are then read without awaiting each.
            await using var reader = await command.ExecuteReaderAsync(ct);
            var first = true;
            while (await reader.ReadAsync(ct))
            {
                await EmitHeldAsync(false, false);
                var row = new Cell[loaded.Columns.Count];
                for (var i = 0; i < row.Length; i++) row[i] = reader.IsDBNull(i) ? Cell.Null : Cell.Of(reader.GetString(i));
                held = (schema, row, first, t == 0, t == tables.Count - 1);
                first = false;
            }
            if (held is not null) await EmitHeldAsync(true, t == tables.Count - 1);
        }
        await EmitHeldAsync(true, true);
        await transaction.CommitAsync(ct);
    }

    private async Task EnqueueAsync(SourceRecord record, CancellationToken ct)
    {
        await _queue.Writer.WriteAsync(record, ct);
        lock (_lock) _lastEnqueuedOffset = record.SourceOffset;
    }

    private sealed class Relation(TableSchema? schema, int[] columnIndexes)
    {
        public TableSchema? Schema { get; } = schema;
        public int[] ColumnIndexes { get; } = columnIndexes;
    }

    private async Task StreamAsync(LogicalReplicationConnection replication, PgOutputReplicationSlot slot, NpgsqlLogSequenceNumber? start, CancellationToken ct)
    {
        await using var catalogConnection = await OpenAsync(_config, "orleansconnect-catalog", ct);
        var catalog = new PgCatalog(catalogConnection);
        var relations = new Dictionary<uint, Relation>();
        var options = new PgOutputReplicationOptions(_config.Publication, PgOutputProtocolVersion.V1, binary: false);
        long txId = 0;
        ulong commitLsn = 0;
        long commitMicros = 0;
        ulong skipUpTo = 0;

        await foreach (var message in replication.StartReplication(slot, options, ct, start))
        {
            Interlocked.Increment(ref _messages);
            switch (message)
            {
                case BeginMessage begin:
                    lock (_lock) _inTransaction = true;
                    txId = begin.TransactionXid;
                    commitLsn = (ulong)begin.TransactionFinalLsn;
                    commitMicros = ToMicros(begin.TransactionCommitTimestamp);
                    // Resuming inside a transaction whose first changes were committed: skip what was. An offset whose
                    // lsn is its lsn_commit (a heartbeat's idle position) points at no change: nothing to skip.
                    skipUpTo = _plan.ResumeCommit == commitLsn && _plan.ResumeLsn is { } resumeLsn && resumeLsn != commitLsn ? resumeLsn : 0;
                    if (_transactions is not null) await BeginTransactionAsync(begin, txId, commitLsn, commitMicros, skipUpTo > 0, ct);
                    break;
                case CommitMessage commit:
                    if (_transactions is not null)
                    {
                        // The END record's offset lies past this commit: a restart does not stream the transaction again.
                        var end = (ulong)commit.TransactionEndLsn;
                        await EnqueueAsync(_transactions.End((ulong)commit.WalStart, commitMicros, StreamOffset(end, end, txId, commitMicros, "COMMIT")), ct);
                    }
                    lock (_lock)
                    {
                        _inTransaction = false;
                        _lastTransactionEnd = (ulong)commit.TransactionEndLsn;
                    }
                    break;
                case RelationMessage relationMessage:
                {
                    catalog.ForgetEnums();
                    var table = await catalog.LoadTableAsync(relationMessage.RelationId, ct);
                    TableSchema? schema = null;
                    var indexes = new int[relationMessage.Columns.Count];
                    if (table is not null && _config.Filter.IncludesTable(table.Schema, table.Name))
                    {
                        schema = new TableSchema(table, _config);
                        for (var i = 0; i < indexes.Length; i++)
                            indexes[i] = table.Columns.ToList().FindIndex(c => c.Name == relationMessage.Columns[i].ColumnName);
                    }
                    relations[relationMessage.RelationId] = new Relation(schema, indexes);
                    break;
                }
                case InsertMessage insert:
                {
                    var lsn = (ulong)insert.WalStart;
                    var relation = relations.GetValueOrDefault(insert.Relation.RelationId);
                    var row = await ReadTupleAsync(insert.NewRow, relation, ct);
                    if (relation?.Schema is not { } table || lsn <= skipUpTo || _config.Skipped.Contains("c")) break;
                    await EmitAsync(table, "c", null, row, lsn, commitLsn, txId, commitMicros, "INSERT", ct);
                    break;
                }
                case UpdateMessage update:
                {
                    var lsn = (ulong)update.WalStart;
                    var relation = relations.GetValueOrDefault(update.Relation.RelationId);
                    Cell[]? old = update switch
                    {
                        FullUpdateMessage full => await ReadTupleAsync(full.OldRow, relation, ct),
                        IndexUpdateMessage index => await ReadTupleAsync(index.Key, relation, ct, keyOnly: true),
                        _ => null,
                    };
                    var row = await ReadTupleAsync(update.NewRow, relation, ct);
                    if (relation?.Schema is not { } table || row is null || lsn <= skipUpTo) break;
                    await EmitUpdateAsync(table, old, row, lsn, commitLsn, txId, commitMicros, ct);
                    break;
                }
                case DeleteMessage delete:
                {
                    var lsn = (ulong)delete.WalStart;
                    var relation = relations.GetValueOrDefault(delete.Relation.RelationId);
                    var old = delete switch
                    {
                        FullDeleteMessage full => await ReadTupleAsync(full.OldRow, relation, ct),
                        KeyDeleteMessage key => await ReadTupleAsync(key.Key, relation, ct, keyOnly: true),
                        _ => null,
                    };
                    if (relation?.Schema is not { } table || old is null || lsn <= skipUpTo || _config.Skipped.Contains("d")) break;
                    await EmitAsync(table, "d", old, null, lsn, commitLsn, txId, commitMicros, "DELETE", ct);
                    break;
                }
                case TruncateMessage truncate:
                {
                    var lsn = (ulong)truncate.WalStart;
                    if (lsn <= skipUpTo || _config.Skipped.Contains("t")) break;
                    foreach (var relationMessage in truncate.Relations)
                    {
                        if (relations.GetValueOrDefault(relationMessage.RelationId)?.Schema is { } table)
                            await EmitAsync(table, "t", null, null, lsn, commitLsn, txId, commitMicros, "TRUNCATE", ct);
                    }
                    break;
                }
            }
        }
    }

    private static async Task<Cell[]?> ReadTupleAsync(ReplicationTuple tuple, Relation? relation, CancellationToken ct, bool keyOnly = false)
    {
        // Tuples are read whole and in order even when the table is not captured: the stream is sequential.
        var width = relation?.Schema?.ColumnCount ?? 0;
        var row = new Cell[width];
        if (keyOnly) Array.Fill(row, Cell.Absent);
        var i = 0;
        await foreach (var value in tuple.WithCancellation(ct))
        {
            var target = relation is null || i >= relation.ColumnIndexes.Length ? -1 : relation.ColumnIndexes[i];
            i++;
            Cell cell;
            if (value.IsDBNull) cell = keyOnly ? Cell.Absent : Cell.Null;
            else if (value.IsUnchangedToastedValue) cell = Cell.Unchanged;
            // Text-mode values read as string whatever their type (no TextReader and its 4 KiB buffer per value).
            else cell = Cell.Of(await value.Get<string>(ct));
            if (target >= 0 && target < width) row[target] = cell;
        }
        return relation?.Schema is null ? null : row;
    }

    private Dictionary<string, object?> StreamOffset(ulong lsn, ulong commitLsn, long txId, long commitMicros, string type) => new(6)
    {
        ["lsn_proc"] = (long)lsn,
        ["messageType"] = type,
        ["lsn_commit"] = (long)commitLsn,
        ["lsn"] = (long)lsn,
        ["txId"] = txId,
        ["ts_usec"] = commitMicros,
    };

    private async Task EmitAsync(TableSchema table, string op, Cell[]? before, Cell[]? after, ulong lsn, ulong commitLsn, long txId, long commitMicros,
        string type, CancellationToken ct, ConnectHeaders? headers = null)
    {
        var offset = StreamOffset(lsn, commitLsn, txId, commitMicros, type);
        var transaction = _transactions?.Event(table.Table, lsn, offset);
        var source = ChangeEvents.Source(Version, _config.Prefix, _config.Database, table.Table, commitMicros, null, commitLsn, lsn, txId);
        var key = op == "t" ? null : table.Key((after ?? before)!);
        var record = ChangeEvents.Record(table, _partition, offset, op,
            key, before is null ? null : table.Value(before), after is null ? null : table.Value(after, before), source, headers);
        if (transaction is not null) ((Struct)record.Value!).Put("transaction", transaction);
        await EnqueueAsync(record, ct);
        if (op == "d" && _config.Tombstones) await EnqueueAsync(ChangeEvents.Tombstone(table, _partition, offset, key), ct);
    }

    /// <summary>The BEGIN record; its offset resumes at this transaction's commit with nothing skipped (lsn = lsn_commit).
    /// A restart inside the transaction continues its counters from the stored offset instead.</summary>
    private async Task BeginTransactionAsync(BeginMessage begin, long txId, ulong commitLsn, long commitMicros, bool resumedInside, CancellationToken ct)
    {
        var offset = StreamOffset(commitLsn, commitLsn, txId, commitMicros, "BEGIN");
        offset["lsn_proc"] = (long)(ulong)begin.WalStart;
        if (_transactions!.Begin(txId, (ulong)begin.WalStart, commitMicros, offset, resumedInside ? _resumeOffset : null) is { } record)
            await EnqueueAsync(record, ct);
    }

    /// <summary>An update; one that changes the key becomes a delete of the old key (with its tombstone) and a create
    /// of the new one, as in Debezium, the two linked by the __debezium.newkey / __debezium.oldkey headers.</summary>
    private async Task EmitUpdateAsync(TableSchema table, Cell[]? old, Cell[] row, ulong lsn, ulong commitLsn, long txId, long commitMicros, CancellationToken ct)
    {
        var newKey = table.Key(row);
        var oldKey = old is null ? null : table.Key(WithUnchanged(old, row));
        if (table.KeySchema is not null && oldKey is not null && !oldKey.Equals(newKey))
        {
            if (!_config.Skipped.Contains("d"))
                await EmitAsync(table, "d", old, null, lsn, commitLsn, txId, commitMicros, "UPDATE", ct,
                    new ConnectHeaders().Add("__debezium.newkey", newKey, table.KeySchema));
            if (!_config.Skipped.Contains("c"))
                await EmitAsync(table, "c", null, row, lsn, commitLsn, txId, commitMicros, "UPDATE", ct,
                    new ConnectHeaders().Add("__debezium.oldkey", oldKey, table.KeySchema));
            return;
        }
        if (_config.Skipped.Contains("u")) return;
        // REPLICA IDENTITY DEFAULT sends no old row unless the key changed: before is then null.
        var before = old is null || old.All(c => c.Kind == CellKind.Absent) ? null : old;
        await EmitAsync(table, "u", before, row, lsn, commitLsn, txId, commitMicros, "UPDATE", ct);
    }

    /// <summary>An old key tuple lacks the columns outside the identity; key columns are always in it.</summary>
    private static Cell[] WithUnchanged(Cell[] old, Cell[] row) => old.Select((c, i) => c.Kind == CellKind.Absent ? row[i] : c).ToArray();

    // ---- confirming the flushed position ----

    private async Task ConfirmLoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(ConfirmPeriod);
        ulong idleCandidate = 0;
        long messagesAtCandidate = -1;
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                LogicalReplicationConnection? replication;
                ulong target = 0;
                lock (_lock)
                {
                    replication = _replication;
                    if (replication is null) continue;
                    if (_committedOffset is { } committed && !IsSnapshotOffset(committed))
                        target = Lsn(committed, "lsn_commit") ?? 0;
                    var nothingPending = !_inTransaction && (_lastEnqueuedOffset is null
                        || (_committedOffset is not null && SourcePartitionComparer.Instance.Equals(_lastEnqueuedOffset, _committedOffset)));
                    var messages = Interlocked.Read(ref _messages);
                    _idleLsn = 0;
                    if (nothingPending)
                    {
                        var idle = _lastTransactionEnd;
                        // The keepalive position of the previous tick is safe only if no message arrived since: a
                        // transaction received but not yet handled would otherwise be confirmed.
                        if (messages == messagesAtCandidate) idle = Math.Max(idle, idleCandidate);
                        target = Math.Max(target, idle);
                        _idleLsn = idle;
                    }
                    idleCandidate = (ulong)replication.LastReceivedLsn;
                    messagesAtCandidate = nothingPending ? messages : -1;
                }
                if (target <= _confirmed) continue;
                replication.SetReplicationStatus(new NpgsqlLogSequenceNumber(target));
                await replication.SendStatusUpdate(ct);
                _confirmed = target;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        catch (Exception e) when (e is NpgsqlException or ObjectDisposedException or InvalidOperationException)
        {
            // The replication connection went away: the reader reports that failure.
        }
    }

    /// <summary>Every heartbeat.interval.ms: heartbeat.action.query (if set), then a heartbeat record with the current
    /// offset (none before there is one, as in Debezium).</summary>
    private async Task HeartbeatLoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(_config.HeartbeatInterval));
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                if (_config.HeartbeatQuery is not null)
                {
                    await using var connection = await OpenAsync(_config, "orleansconnect-heartbeat", ct);
                    await using var command = new NpgsqlCommand(_config.HeartbeatQuery, connection);
                    await command.ExecuteNonQueryAsync(ct);
                }
                EnqueueHeartbeat();
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        catch (Exception e) when (e is NpgsqlException or ConnectException)
        {
            _failure ??= new ConnectException($"heartbeat.action.query failed: {e.Message}", e);
        }
    }

    /// <summary>The heartbeat carries the last offset handed out or, when every change so far is committed and the
    /// stream has moved past it (changes of tables not captured, keepalives), that idle position: committing it lets
    /// the slot advance and a restart resume there. A full queue skips the beat: the stream is busy, not idle.</summary>
    private void EnqueueHeartbeat()
    {
        lock (_lock)
        {
            var current = _lastEnqueuedOffset ?? _committedOffset;
            var streamed = current is null || IsSnapshotOffset(current) ? 0 : Lsn(current, "lsn_commit") ?? 0;
            var offset = current;
            if (_replication is not null && _idleLsn > streamed && (current is null || !IsSnapshotOffset(current) || IsSnapshotCompleted(current)))
            {
                var txId = current?.GetValueOrDefault("txId") is { } tx ? Convert.ToInt64(tx, System.Globalization.CultureInfo.InvariantCulture) : 0;
                offset = StreamOffset(_idleLsn, _idleLsn, txId, ChangeEvents.NowMicros(), "COMMIT");
            }
            if (offset is null) return;
            if (_queue.Writer.TryWrite(Heartbeats.Record(_config.HeartbeatTopic, _config.Prefix, _partition, offset))) _lastEnqueuedOffset = offset;
        }
    }

    // ---- offsets ----

    /// <summary>Whether a stored offset was written during a snapshot: Debezium 2.x writes snapshot=true, 3.x the
    /// snapshot kind as a string (INITIAL, BLOCKING, INCREMENTAL).</summary>
    internal static bool IsSnapshotOffset(IReadOnlyDictionary<string, object?> offset) =>
        offset.TryGetValue("snapshot", out var value) && value switch
        {
            bool b => b,
            string s => s.Length > 0 && !s.Equals("false", StringComparison.OrdinalIgnoreCase),
            _ => false,
        };

    internal static bool IsSnapshotCompleted(IReadOnlyDictionary<string, object?> offset) =>
        IsTrue(offset.GetValueOrDefault("snapshot_completed")) || IsTrue(offset.GetValueOrDefault("last_snapshot_record"));

    private static bool IsTrue(object? value) => value is true || value is string s && s.Equals("true", StringComparison.OrdinalIgnoreCase);

    internal static ulong? Lsn(IReadOnlyDictionary<string, object?> offset, string key) =>
        offset.TryGetValue(key, out var value) && value is not null ? Convert.ToUInt64(value, System.Globalization.CultureInfo.InvariantCulture) : null;

    private static long ToMicros(DateTime timestamp) => (timestamp.ToUniversalTime().Ticks - DateTime.UnixEpoch.Ticks) / 10;

    internal static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"") + "\"";
}
