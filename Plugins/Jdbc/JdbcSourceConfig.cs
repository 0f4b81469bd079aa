using Npgsql;
using OrleansConnect.Connect.Config;
using Range = OrleansConnect.Connect.Config.Range;

namespace OrleansConnect.Plugins.Jdbc;

public enum SourceMode { Bulk, Incrementing, Timestamp, TimestampIncrementing }

/// <summary>Confluent's JDBC source keys, with its names and defaults.</summary>
public sealed class JdbcSourceConfig
{
    public const string Mode = "mode";
    public const string IncrementingColumn = "incrementing.column.name";
    public const string TimestampColumn = "timestamp.column.name";
    public const string TableWhitelist = "table.whitelist";
    public const string TableBlacklist = "table.blacklist";
    public const string Query = "query";
    public const string TopicPrefix = "topic.prefix";
    public const string PollIntervalMs = "poll.interval.ms";
    public const string BatchMaxRows = "batch.max.rows";
    public const string TablePollIntervalMs = "table.poll.interval.ms";
    public const string TimestampDelayMs = "timestamp.delay.interval.ms";
    public const string TimestampInitial = "timestamp.initial";
    public const string ValidateNonNull = "validate.non.null";

    /// <summary>The task config key holding a task's share of the tables ("schema.table", comma-separated).</summary>
    public const string TasksTables = "tables";

    private const string DatabaseGroup = "Database";
    private const string ModeGroup = "Mode";
    private const string ConnectorGroup = "Connector";

    public static readonly ConfigDef Definition = JdbcConfigs.DefineConnection(new ConfigDef())
        .Define(TableWhitelist, ConfigType.List, "", null, Importance.Medium,
            "Tables to copy (name or schema.name); empty copies every table not blacklisted.", DatabaseGroup, 1, Width.Long, "Table Whitelist")
        .Define(TableBlacklist, ConfigType.List, "", null, Importance.Medium,
            "Tables not to copy.", DatabaseGroup, 2, Width.Long, "Table Blacklist")
        .Define(Mode, ConfigType.String, "", CaseInsensitiveValidString.In("", "bulk", "incrementing", "timestamp", "timestamp+incrementing"), Importance.High,
            "The mode for updating a table each time it is polled: bulk, incrementing, timestamp or timestamp+incrementing.", ModeGroup, 1, Width.Medium, "Table Loading Mode")
        .Define(IncrementingColumn, ConfigType.String, "", null, Importance.Medium,
            "The strictly incrementing column used to detect new rows; empty detects an auto-incrementing column.", ModeGroup, 2, Width.Medium, "Incrementing Column Name")
        .Define(TimestampColumn, ConfigType.List, "", null, Importance.Medium,
            "Timestamp columns used to detect new or modified rows; several are combined with COALESCE.", ModeGroup, 3, Width.Medium, "Timestamp Column Name")
        .Define(TimestampInitial, ConfigType.Long, null, null, Importance.Low,
            "The epoch milliseconds to start timestamp queries from when there is no offset; -1 starts at the current time. Unset reads every row.",
            ModeGroup, 4, Width.Medium, "Unix time value of initial timestamp")
        .Define(ValidateNonNull, ConfigType.Boolean, true, null, Importance.Low,
            "Whether to check that the incrementing and timestamp columns are NOT NULL at start.", ModeGroup, 5, Width.Short, "Validate Non Null")
        .Define(Query, ConfigType.String, "", null, Importance.Medium,
            "A query to run instead of copying tables; the mode's WHERE clause is appended to it.", ModeGroup, 6, Width.Short, "Query")
        .Define(PollIntervalMs, ConfigType.Int, 5000, Range.AtLeast(0), Importance.High,
            "How often in milliseconds to poll each table for new data.", ConnectorGroup, 1, Width.Short, "Poll Interval (ms)")
        .Define(BatchMaxRows, ConfigType.Int, 1000, Range.AtLeast(1), Importance.Low,
            "Maximum number of rows in one poll.", ConnectorGroup, 2, Width.Short, "Max Rows Per Batch")
        .Define(TablePollIntervalMs, ConfigType.Long, 60000L, Range.AtLeast(0), Importance.Low,
            "How often in milliseconds to look for new or removed tables.", ConnectorGroup, 3, Width.Short, "Metadata Change Monitoring Interval (ms)")
        .Define(TopicPrefix, ConfigType.String, "", null, Importance.High,
            "Prefix of the table name making the topic name; in query mode, the whole topic name.", ConnectorGroup, 4, Width.Medium, "Topic Prefix")
        .Define(TimestampDelayMs, ConfigType.Long, 0L, Range.AtLeast(0), Importance.High,
            "How long in milliseconds after a row's timestamp it is read, so that transactions with earlier timestamps can commit.",
            ConnectorGroup, 5, Width.Medium, "Delay Interval (ms)");

    public static readonly IReadOnlyDictionary<string, string> NotImplemented = new Dictionary<string, string>
    {
        ["numeric.mapping"] = "NUMERIC columns map to Decimal (numeric.mapping=none)",
        ["numeric.precision.mapping"] = "NUMERIC columns map to Decimal",
        ["table.types"] = "only tables (TABLE) are read",
        ["schema.pattern"] = "use schema.table names in table.whitelist",
        ["catalog.pattern"] = "PostgreSQL has one catalog per connection",
        ["table.include.list"] = "use table.whitelist",
        ["table.exclude.list"] = "use table.blacklist",
        ["timestamp.columns.mapping"] = "per-table timestamp columns are not implemented",
        ["incrementing.column.mapping"] = "per-table incrementing columns are not implemented",
        ["query.suffix"] = "not implemented",
        ["query.retry.attempts"] = "a failed query fails the task, which restarts by itself",
        ["transaction.isolation.mode"] = "queries run at the server's default isolation",
        ["timestamp.granularity"] = "timestamps are read as Connect Timestamps",
        ["db.timezone.from.database"] = "not implemented",
    };

    public JdbcSourceConfig(IReadOnlyDictionary<string, string> props)
    {
        var config = new AbstractConfig(Definition, props.ToDictionary(kv => kv.Key, kv => (string?)kv.Value));
        Url = config.GetString(JdbcConfigs.ConnectionUrl)!;
        User = config.GetString(JdbcConfigs.ConnectionUser);
        Password = config.GetPassword(JdbcConfigs.ConnectionPassword)?.Value;
        ModeValue = ParseMode(config.GetString(Mode)!);
        IncrementingColumnName = config.GetString(IncrementingColumn)!;
        TimestampColumns = config.GetList(TimestampColumn).Where(c => c.Length > 0).ToList();
        Whitelist = config.GetList(TableWhitelist).Where(t => t.Length > 0).ToList();
        Blacklist = config.GetList(TableBlacklist).Where(t => t.Length > 0).ToList();
        QueryText = config.GetString(Query)!;
        Prefix = config.GetString(TopicPrefix) ?? "";
        PollInterval = config.GetInt(PollIntervalMs);
        MaxRows = config.GetInt(BatchMaxRows);
        TablePollInterval = config.GetLong(TablePollIntervalMs);
        Delay = config.GetLong(TimestampDelayMs);
        Initial = (long?)config.Get(TimestampInitial);
        CheckNonNull = config.GetBoolean(ValidateNonNull);
        JdbcConfigs.TryZone(config.GetString(JdbcConfigs.DbTimezone)!, out var zone);
        TimeZone = zone;
        QuoteIdentifiers = !"never".Equals(config.GetString(JdbcConfigs.QuoteSqlIdentifiers), StringComparison.OrdinalIgnoreCase);
        if (Problems(ModeValue, TimestampColumns.Count, Whitelist.Count, Blacklist.Count) is { } problem) throw new ConfigException(problem.Key, null, problem.Message);
    }

    /// <summary>The cross-key rules, as validate reports them.</summary>
    public static (string Key, string Message)? Problems(SourceMode? mode, int timestampColumns, int whitelisted, int blacklisted)
    {
        if (mode is null) return (Mode, "Query mode must be specified");
        if (mode is SourceMode.Timestamp or SourceMode.TimestampIncrementing && timestampColumns == 0)
            return (TimestampColumn, $"{TimestampColumn} must be set in mode {ModeText(mode.Value)}");
        if (whitelisted > 0 && blacklisted > 0)
            return (TableWhitelist, $"{TableWhitelist} and {TableBlacklist} cannot both be set");
        return null;
    }

    public static SourceMode? ParseMode(string text) => text.ToLowerInvariant() switch
    {
        "bulk" => SourceMode.Bulk,
        "incrementing" => SourceMode.Incrementing,
        "timestamp" => SourceMode.Timestamp,
        "timestamp+incrementing" => SourceMode.TimestampIncrementing,
        _ => null,
    };

    public static string ModeText(SourceMode mode) => mode switch
    {
        SourceMode.Bulk => "bulk",
        SourceMode.Incrementing => "incrementing",
        SourceMode.Timestamp => "timestamp",
        _ => "timestamp+incrementing",
    };

    public string Url { get; }
    public string? User { get; }
    public string? Password { get; }
    public SourceMode? ModeValue { get; }
    public SourceMode SourceMode => ModeValue!.Value;
    public string IncrementingColumnName { get; }
    public IReadOnlyList<string> TimestampColumns { get; }
    public IReadOnlyList<string> Whitelist { get; }
    public IReadOnlyList<string> Blacklist { get; }
    public string QueryText { get; }
    public bool IsQueryMode => QueryText.Length > 0;
    public string Prefix { get; }
    public int PollInterval { get; }
    public int MaxRows { get; }
    public long TablePollInterval { get; }
    public long Delay { get; }
    public long? Initial { get; }
    public bool CheckNonNull { get; }
    public TimeZoneInfo TimeZone { get; }
    public bool QuoteIdentifiers { get; }

    public bool UsesIncrementing => SourceMode is SourceMode.Incrementing or SourceMode.TimestampIncrementing;
    public bool UsesTimestamp => SourceMode is SourceMode.Timestamp or SourceMode.TimestampIncrementing;

    public string ConnectionString()
    {
        var builder = JdbcUrl.ToNpgsql(Url, User, Password);
        builder.Pooling = false;
        builder.IncludeErrorDetail = true;
        return builder.ConnectionString;
    }

    /// <summary>The tables to copy: base tables outside the system schemas, filtered by the white- or blacklist (entries
    /// match "table" or "schema.table"), as "schema.table", sorted.</summary>
    public async Task<List<TableId>> TablesAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' " +
            "AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY table_schema, table_name", connection);
        var tables = new List<TableId>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var table = new TableId(reader.GetString(0), reader.GetString(1));
            bool Listed(IReadOnlyList<string> list) => list.Contains(table.Name) || list.Contains(table.ToString());
            if (Whitelist.Count > 0 ? Listed(Whitelist) : !Listed(Blacklist)) tables.Add(table);
        }
        return tables;
    }
}
