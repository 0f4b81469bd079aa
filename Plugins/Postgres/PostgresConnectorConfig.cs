using System.Text.RegularExpressions;
using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Connector;

namespace OrleansConnect.Plugins.Postgres;

/// <summary>The keys of Debezium's PostgreSQL connector that this connector implements, with Debezium's names and
/// defaults, and the parsed settings a task runs with. Keys Debezium has and this connector does not implement are
/// refused at validation (<see cref="UnsupportedKeys"/>), so a config never runs with a setting silently ignored.</summary>
public sealed class PostgresConnectorConfig
{
    public const string Hostname = "database.hostname";
    public const string Port = "database.port";
    public const string User = "database.user";
    public const string Password = "database.password";
    public const string DbName = "database.dbname";
    public const string TopicPrefix = "topic.prefix";
    public const string PluginName = "plugin.name";
    public const string SlotName = "slot.name";
    public const string SlotDropOnStop = "slot.drop.on.stop";
    public const string PublicationName = "publication.name";
    public const string PublicationAutocreateMode = "publication.autocreate.mode";
    public const string SchemaIncludeList = "schema.include.list";
    public const string SchemaExcludeList = "schema.exclude.list";
    public const string TableIncludeList = "table.include.list";
    public const string TableExcludeList = "table.exclude.list";
    public const string ColumnIncludeList = "column.include.list";
    public const string ColumnExcludeList = "column.exclude.list";
    public const string MessageKeyColumns = "message.key.columns";
    public const string SnapshotMode = "snapshot.mode";
    public const string SnapshotFetchSize = "snapshot.fetch.size";
    public const string TombstonesOnDelete = "tombstones.on.delete";
    public const string SkippedOperations = "skipped.operations";
    public const string DecimalHandlingMode = "decimal.handling.mode";
    public const string TimePrecisionMode = "time.precision.mode";
    public const string BinaryHandlingMode = "binary.handling.mode";
    public const string HeartbeatIntervalMs = "heartbeat.interval.ms";
    public const string HeartbeatActionQuery = "heartbeat.action.query";
    public const string TopicHeartbeatPrefix = "topic.heartbeat.prefix";
    public const string MaxBatchSize = "max.batch.size";
    public const string MaxQueueSize = "max.queue.size";
    public const string PollIntervalMs = "poll.interval.ms";
    public const string ProvideTransactionMetadata = "provide.transaction.metadata";
    public const string TopicTransaction = "topic.transaction";
    public const string UnavailableValuePlaceholder = "unavailable.value.placeholder";
    public const string StatusUpdateIntervalMs = "status.update.interval.ms";

    public const string DefaultUnavailableValue = "__debezium_unavailable_value";

    private const string ConnectionGroup = "Postgres";
    private const string ReplicationGroup = "Replication";
    private const string FiltersGroup = "Filters";
    private const string EventsGroup = "Events";

    public static readonly ConfigDef Definition = new ConfigDef()
        .Define(Hostname, ConfigType.String, ConfigDef.NoDefaultValue, new NonEmptyString(), Importance.High,
            "Resolvable hostname or IP address of the database server.", ConnectionGroup, 1, Width.Medium, "Hostname")
        .Define(Port, ConfigType.Int, 5432, Connect.Config.Range.Between(1, 65535), Importance.High,
            "Port of the database server.", ConnectionGroup, 2, Width.Short, "Port")
        .Define(User, ConfigType.String, ConfigDef.NoDefaultValue, new NonEmptyString(), Importance.High,
            "Name of the database user to be used when connecting to the database.", ConnectionGroup, 3, Width.Short, "User")
        .Define(Password, ConfigType.Password, null, null, Importance.High,
            "Password of the database user to be used when connecting to the database.", ConnectionGroup, 4, Width.Short, "Password")
        .Define(DbName, ConfigType.String, ConfigDef.NoDefaultValue, new NonEmptyString(), Importance.High,
            "The name of the database from which the connector should capture changes.", ConnectionGroup, 5, Width.Medium, "Database")
        .Define(TopicPrefix, ConfigType.String, ConfigDef.NoDefaultValue, LambdaValidator.With(ValidateTopicPrefix, () => "non-empty string of [A-Za-z0-9._-]"),
            Importance.High, "Topic prefix that names the topics, schemas and the source partition of this connector's events. Never change it once set.",
            ConnectionGroup, 6, Width.Medium, "Topic prefix")
        .Define(PluginName, ConfigType.String, "pgoutput", LambdaValidator.With(ValidatePluginName, () => "[pgoutput]"), Importance.Medium,
            "The logical decoding plugin on the server. Only pgoutput is supported (Debezium's default is decoderbufs; the events do not depend on it).",
            ReplicationGroup, 1, Width.Medium, "Plugin")
        .Define(SlotName, ConfigType.String, "debezium", LambdaValidator.With(ValidateSlotName, () => "lower-case letters, digits and _"), Importance.Medium,
            "The name of the PostgreSQL logical decoding slot created for streaming changes; unique per connector.", ReplicationGroup, 2, Width.Medium, "Slot")
        .Define(SlotDropOnStop, ConfigType.Boolean, false, null, Importance.Low,
            "Whether to drop the logical replication slot when the task stops cleanly.", ReplicationGroup, 3, Width.Short, "Drop slot on stop")
        .Define(PublicationName, ConfigType.String, "dbz_publication", new NonEmptyString(), Importance.Low,
            "The name of the PostgreSQL publication the connector streams from.", ReplicationGroup, 4, Width.Medium, "Publication")
        .Define(PublicationAutocreateMode, ConfigType.String, "all_tables", CaseInsensitiveValidString.In("all_tables", "disabled", "filtered", "no_tables"), Importance.Low,
            "all_tables: create the publication FOR ALL TABLES when it does not exist; filtered: create or alter it for the selected tables; "
            + "disabled: it must exist; no_tables: create it without tables.", ReplicationGroup, 5, Width.Medium, "Publication autocreate")
        .Define(SchemaIncludeList, ConfigType.String, null, RegexList, Importance.Medium,
            "Comma-separated regular expressions of the schema names to capture.", FiltersGroup, 1, Width.Long, "Include schemas")
        .Define(SchemaExcludeList, ConfigType.String, null, RegexList, Importance.Medium,
            "Comma-separated regular expressions of the schema names not to capture.", FiltersGroup, 2, Width.Long, "Exclude schemas")
        .Define(TableIncludeList, ConfigType.String, null, RegexList, Importance.Medium,
            "Comma-separated regular expressions of the schema.table names to capture.", FiltersGroup, 3, Width.Long, "Include tables")
        .Define(TableExcludeList, ConfigType.String, null, RegexList, Importance.Medium,
            "Comma-separated regular expressions of the schema.table names not to capture.", FiltersGroup, 4, Width.Long, "Exclude tables")
        .Define(ColumnIncludeList, ConfigType.String, null, RegexList, Importance.Medium,
            "Comma-separated regular expressions of the schema.table.column names to include in values.", FiltersGroup, 5, Width.Long, "Include columns")
        .Define(ColumnExcludeList, ConfigType.String, null, RegexList, Importance.Medium,
            "Comma-separated regular expressions of the schema.table.column names to leave out of values.", FiltersGroup, 6, Width.Long, "Exclude columns")
        .Define(MessageKeyColumns, ConfigType.String, null, LambdaValidator.With(ValidateKeyColumns, () => "<table regex>:<column>,...;..."), Importance.Low,
            "Semicolon-separated <schema.table regex>:<column>,<column> entries that replace a table's primary key as the message key.",
            FiltersGroup, 7, Width.Long, "Message key columns")
        .Define(SnapshotMode, ConfigType.String, "initial", CaseInsensitiveValidString.In("initial", "always", "initial_only", "no_data", "never", "when_needed"),
            Importance.Low, "initial: snapshot when there is no stored offset, then stream; always: snapshot at every start; initial_only: snapshot, then stop; "
            + "no_data (never): only stream; when_needed: snapshot when there is no offset or the stored position is gone from the slot.",
            ReplicationGroup, 6, Width.Short, "Snapshot mode")
        .Define(SnapshotFetchSize, ConfigType.Int, 10240, Connect.Config.Range.AtLeast(0), Importance.Medium,
            "Rows read per round trip while snapshotting (Npgsql streams result rows, so this bounds nothing in memory here).",
            ReplicationGroup, 7, Width.Short, "Snapshot fetch size")
        .Define(TombstonesOnDelete, ConfigType.Boolean, true, null, Importance.Medium,
            "Whether a delete is followed by a tombstone (same key, null value) so that compaction can remove the key.", EventsGroup, 1, Width.Short, "Tombstones")
        .Define(SkippedOperations, ConfigType.String, "t", LambdaValidator.With(ValidateSkippedOperations, () => "list of c, u, d, t, or none"), Importance.Low,
            "Comma-separated operations not to emit: c (insert), u (update), d (delete), t (truncate), or none.", EventsGroup, 2, Width.Short, "Skipped operations")
        .Define(DecimalHandlingMode, ConfigType.String, "precise", CaseInsensitiveValidString.In("precise", "double", "string"), Importance.Medium,
            "How numeric columns are represented: precise (Connect Decimal), double or string.", EventsGroup, 3, Width.Short, "Decimal handling")
        .Define(TimePrecisionMode, ConfigType.String, "adaptive", CaseInsensitiveValidString.In("adaptive", "connect"), Importance.Medium,
            "adaptive: Debezium's time types at the column's precision; connect: Kafka Connect's Date, Time and Timestamp (milliseconds).",
            EventsGroup, 4, Width.Short, "Time precision")
        .Define(BinaryHandlingMode, ConfigType.String, "bytes", CaseInsensitiveValidString.In("bytes", "base64", "base64-url-safe", "hex"), Importance.Low,
            "How bytea columns are represented: bytes, or strings in base64, base64-url-safe or hex.", EventsGroup, 5, Width.Short, "Binary handling")
        .Define(UnavailableValuePlaceholder, ConfigType.String, DefaultUnavailableValue, null, Importance.Low,
            "The value that stands for an unchanged TOASTed column the server did not send.", EventsGroup, 6, Width.Medium, "Unavailable value placeholder")
        .Define(ProvideTransactionMetadata, ConfigType.Boolean, false, null, Importance.Low,
            "Whether to write BEGIN and END records of each transaction to <topic.prefix>.<topic.transaction> and a transaction block "
            + "(id, total_order, data_collection_order) into each change event.", EventsGroup, 7, Width.Short, "Transaction metadata")
        .Define(TopicTransaction, ConfigType.String, "transaction", LambdaValidator.With(ValidateTopicPrefix, () => "non-empty string of [A-Za-z0-9._-]"),
            Importance.Low, "The suffix of the transaction metadata topic, <topic.prefix>.<topic.transaction>.", EventsGroup, 11, Width.Medium, "Transaction topic")
        .Define(HeartbeatIntervalMs, ConfigType.Int, 0, Connect.Config.Range.AtLeast(0), Importance.Medium,
            "How often (ms) the connector writes a heartbeat record carrying its current offset to __debezium-heartbeat.<topic.prefix> "
            + "(and runs heartbeat.action.query); 0 turns heartbeats off. The slot advances while idle either way.",
            ReplicationGroup, 8, Width.Short, "Heartbeat interval")
        .Define(HeartbeatActionQuery, ConfigType.String, null, null, Importance.Low,
            "A statement run on the database every heartbeat.interval.ms, e.g. an update of a heartbeat table captured by the connector.",
            ReplicationGroup, 9, Width.Long, "Heartbeat action query")
        .Define(TopicHeartbeatPrefix, ConfigType.String, "__debezium-heartbeat", LambdaValidator.With(ValidateTopicPrefix, () => "non-empty string of [A-Za-z0-9._-]"),
            Importance.Low, "The prefix of the heartbeat topic, <topic.heartbeat.prefix>.<topic.prefix>.", ReplicationGroup, 11, Width.Medium, "Heartbeat topic prefix")
        .Define(StatusUpdateIntervalMs, ConfigType.Int, 10000, Connect.Config.Range.AtLeast(1), Importance.Low,
            "How often (ms) the connector reports its flushed position to the server.", ReplicationGroup, 10, Width.Short, "Status update interval")
        .Define(MaxBatchSize, ConfigType.Int, 2048, Connect.Config.Range.AtLeast(1), Importance.Medium,
            "The most records one poll returns.", EventsGroup, 8, Width.Short, "Max batch size")
        .Define(MaxQueueSize, ConfigType.Int, 8192, Connect.Config.Range.AtLeast(1), Importance.Medium,
            "The most records held between the database and the poll loop.", EventsGroup, 9, Width.Short, "Max queue size")
        .Define(PollIntervalMs, ConfigType.Long, 500L, Connect.Config.Range.AtLeast(0), Importance.Low,
            "How long (ms) a poll waits for new records.", EventsGroup, 10, Width.Short, "Poll interval");

    private static readonly IValidator RegexList = LambdaValidator.With(ValidateRegexList, () => "comma-separated regular expressions");

    /// <summary>Config keys neither this connector nor Kafka Connect defines: Debezium keys not implemented yet (or
    /// typos). Each is refused by name at validation.</summary>
    public static IEnumerable<string> UnsupportedKeys(IEnumerable<string> keys) =>
        keys.Where(k => !Definition.ConfigKeys.ContainsKey(k) && !FrameworkKeys.Contains(k));

    public static string UnsupportedKeyMessage(string key) =>
        $"The key '{key}' is not supported by this PostgreSQL connector (it implements a subset of Debezium's keys; see docs/connectors/postgresql.md); remove it";

    private static void ValidateTopicPrefix(string name, object? value)
    {
        if (value is not string s || s.Length == 0 || !Regex.IsMatch(s, "^[A-Za-z0-9._-]+$"))
            throw new ConfigException(name, value, "Topic prefix must be non-empty and hold only letters, digits, '.', '_' and '-'");
    }

    private static void ValidatePluginName(string name, object? value)
    {
        var s = (value as string)?.Trim().ToLowerInvariant();
        if (s == "decoderbufs")
            throw new ConfigException(name, value, "decoderbufs is not supported: set plugin.name=pgoutput (the events are the same; pgoutput is built into PostgreSQL 10+)");
        if (s != "pgoutput") throw new ConfigException(name, value, "Only pgoutput is supported");
    }

    private static void ValidateSlotName(string name, object? value)
    {
        if (value is not string s || !Regex.IsMatch(s, "^[a-z0-9_]{1,63}$"))
            throw new ConfigException(name, value, "Slot names may hold only lower-case letters, digits and '_' (at most 63)");
    }

    private static void ValidateRegexList(string name, object? value)
    {
        if (value is not string s) return;
        foreach (var part in SplitList(s))
        {
            try { _ = new Regex(part); }
            catch (ArgumentException e) { throw new ConfigException(name, value, $"Invalid regular expression '{part}': {e.Message}"); }
        }
    }

    private static void ValidateKeyColumns(string name, object? value)
    {
        if (value is not string s) return;
        try { _ = ParseKeyColumns(s); }
        catch (FormatException e) { throw new ConfigException(name, value, e.Message); }
    }

    private static void ValidateSkippedOperations(string name, object? value)
    {
        if (value is not string s) return;
        foreach (var op in SplitList(s))
        {
            if (op is not ("c" or "u" or "d" or "t" or "none"))
                throw new ConfigException(name, value, $"Unknown operation '{op}': use c, u, d, t or none");
        }
    }

    public static IReadOnlyList<string> SplitList(string? s) =>
        string.IsNullOrWhiteSpace(s) ? [] : s.Split(',').Select(p => p.Trim()).Where(p => p.Length > 0).ToList();

    /// <summary>Debezium's message.key.columns: "regex:col,col;regex2:col".</summary>
    public static IReadOnlyList<(Regex Table, IReadOnlyList<string> Columns)> ParseKeyColumns(string? s)
    {
        var result = new List<(Regex, IReadOnlyList<string>)>();
        if (string.IsNullOrWhiteSpace(s)) return result;
        foreach (var entry in s.Split(';').Select(e => e.Trim()).Where(e => e.Length > 0))
        {
            var colon = entry.LastIndexOf(':');
            if (colon <= 0 || colon == entry.Length - 1)
                throw new FormatException($"'{entry}' is not <fully-qualified table regex>:<column>,<column>");
            Regex table;
            try { table = Anchored(entry[..colon]); }
            catch (ArgumentException e) { throw new FormatException($"Invalid table regular expression in '{entry}': {e.Message}"); }
            result.Add((table, SplitList(entry[(colon + 1)..])));
        }
        return result;
    }

    public static Regex Anchored(string pattern) => new("^(?:" + pattern + ")$", RegexOptions.CultureInvariant);

    // ---- parsed settings ----

    public required string Host { get; init; }
    public required int PortNumber { get; init; }
    public required string UserName { get; init; }
    public string? PasswordValue { get; init; }
    public required string Database { get; init; }
    public required string Prefix { get; init; }
    public required string Slot { get; init; }
    public required bool DropSlotOnStop { get; init; }
    public required string Publication { get; init; }
    public required string PublicationMode { get; init; }
    public required string Snapshot { get; init; }
    public required bool Tombstones { get; init; }
    public required IReadOnlySet<string> Skipped { get; init; }
    public required string DecimalMode { get; init; }
    public required string TimeMode { get; init; }
    public required string BinaryMode { get; init; }
    public required string Unavailable { get; init; }
    public required int HeartbeatInterval { get; init; }
    public string? HeartbeatQuery { get; init; }
    public required string HeartbeatTopic { get; init; }
    /// <summary>The transaction metadata topic when provide.transaction.metadata is on, else null.</summary>
    public string? TransactionTopic { get; init; }
    public required int StatusInterval { get; init; }
    public required int BatchSize { get; init; }
    public required int QueueSize { get; init; }
    public required long PollInterval { get; init; }
    public required TableFilter Filter { get; init; }
    public required IReadOnlyList<(Regex Table, IReadOnlyList<string> Columns)> KeyColumns { get; init; }

    public static PostgresConnectorConfig Parse(IReadOnlyDictionary<string, string> props)
    {
        var c = new AbstractConfig(Definition, props.ToDictionary(kv => kv.Key, kv => (string?)kv.Value));
        var skipped = SplitList(c.GetString(SkippedOperations)).Where(o => o != "none").ToHashSet();
        var snapshot = c.GetString(SnapshotMode)!.Trim().ToLowerInvariant();
        return new PostgresConnectorConfig
        {
            Host = c.GetString(Hostname)!,
            PortNumber = c.GetInt(Port),
            UserName = c.GetString(User)!,
            PasswordValue = c.GetPassword(Password)?.Value,
            Database = c.GetString(DbName)!,
            Prefix = c.GetString(TopicPrefix)!,
            Slot = c.GetString(SlotName)!,
            DropSlotOnStop = c.GetBoolean(SlotDropOnStop),
            Publication = c.GetString(PublicationName)!,
            PublicationMode = c.GetString(PublicationAutocreateMode)!.Trim().ToLowerInvariant(),
            Snapshot = snapshot == "never" ? "no_data" : snapshot,
            Tombstones = c.GetBoolean(TombstonesOnDelete),
            Skipped = skipped,
            DecimalMode = c.GetString(DecimalHandlingMode)!.Trim().ToLowerInvariant(),
            TimeMode = c.GetString(TimePrecisionMode)!.Trim().ToLowerInvariant(),
            BinaryMode = c.GetString(BinaryHandlingMode)!.Trim().ToLowerInvariant(),
            Unavailable = c.GetString(UnavailableValuePlaceholder) ?? DefaultUnavailableValue,
            HeartbeatInterval = c.GetInt(HeartbeatIntervalMs),
            HeartbeatQuery = string.IsNullOrWhiteSpace(c.GetString(HeartbeatActionQuery)) ? null : c.GetString(HeartbeatActionQuery),
            HeartbeatTopic = Heartbeats.Topic(c.GetString(TopicHeartbeatPrefix)!, c.GetString(TopicPrefix)!),
            TransactionTopic = c.GetBoolean(ProvideTransactionMetadata) ? c.GetString(TopicPrefix) + "." + c.GetString(TopicTransaction) : null,
            StatusInterval = c.GetInt(StatusUpdateIntervalMs),
            BatchSize = c.GetInt(MaxBatchSize),
            QueueSize = c.GetInt(MaxQueueSize),
            PollInterval = c.GetLong(PollIntervalMs),
            Filter = new TableFilter(
                SplitList(c.GetString(SchemaIncludeList)), SplitList(c.GetString(SchemaExcludeList)),
                SplitList(c.GetString(TableIncludeList)), SplitList(c.GetString(TableExcludeList)),
                SplitList(c.GetString(ColumnIncludeList)), SplitList(c.GetString(ColumnExcludeList))),
            KeyColumns = ParseKeyColumns(c.GetString(MessageKeyColumns)),
        };
    }

    /// <summary>The Npgsql connection string; replication connections add Replication themselves.</summary>
    public string ConnectionString(string applicationName)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder
        {
            Host = Host,
            Port = PortNumber,
            Username = UserName,
            Database = Database,
            ApplicationName = applicationName,
            Pooling = false,
            Timeout = 30,
        };
        if (PasswordValue is not null) builder.Password = PasswordValue;
        return builder.ConnectionString;
    }
}

/// <summary>Debezium's schema/table/column include and exclude lists: anchored regular expressions over "schema",
/// "schema.table" and "schema.table.column". System schemas are never captured.</summary>
public sealed class TableFilter
{
    private readonly IReadOnlyList<Regex> _schemaInclude, _schemaExclude, _tableInclude, _tableExclude, _columnInclude, _columnExclude;

    public TableFilter(IReadOnlyList<string> schemaInclude, IReadOnlyList<string> schemaExclude, IReadOnlyList<string> tableInclude,
        IReadOnlyList<string> tableExclude, IReadOnlyList<string> columnInclude, IReadOnlyList<string> columnExclude)
    {
        _schemaInclude = schemaInclude.Select(PostgresConnectorConfig.Anchored).ToList();
        _schemaExclude = schemaExclude.Select(PostgresConnectorConfig.Anchored).ToList();
        _tableInclude = tableInclude.Select(PostgresConnectorConfig.Anchored).ToList();
        _tableExclude = tableExclude.Select(PostgresConnectorConfig.Anchored).ToList();
        _columnInclude = columnInclude.Select(PostgresConnectorConfig.Anchored).ToList();
        _columnExclude = columnExclude.Select(PostgresConnectorConfig.Anchored).ToList();
    }

    public bool IncludesTable(string schema, string table)
    {
        if (schema is "pg_catalog" or "information_schema" || schema.StartsWith("pg_toast", StringComparison.Ordinal)) return false;
        if (_schemaInclude.Count > 0 && !_schemaInclude.Any(r => r.IsMatch(schema))) return false;
        if (_schemaExclude.Any(r => r.IsMatch(schema))) return false;
        var full = schema + "." + table;
        if (_tableInclude.Count > 0 && !_tableInclude.Any(r => r.IsMatch(full))) return false;
        return !_tableExclude.Any(r => r.IsMatch(full));
    }

    public bool IncludesColumn(string schema, string table, string column)
    {
        var full = schema + "." + table + "." + column;
        if (_columnInclude.Count > 0 && !_columnInclude.Any(r => r.IsMatch(full))) return false;
        return !_columnExclude.Any(r => r.IsMatch(full));
    }
}
