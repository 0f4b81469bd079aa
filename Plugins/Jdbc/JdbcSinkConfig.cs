using Npgsql;
using OrleansConnect.Connect.Config;
using Range = OrleansConnect.Connect.Config.Range;

namespace OrleansConnect.Plugins.Jdbc;

public enum InsertMode { Insert, Upsert, Update }

public enum PrimaryKeyMode { None, Kafka, RecordKey, RecordValue }

/// <summary>Confluent's JDBC sink keys, with its names and defaults.</summary>
public sealed class JdbcSinkConfig
{
    public const string InsertModeKey = "insert.mode";
    public const string PkModeKey = "pk.mode";
    public const string PkFields = "pk.fields";
    public const string TableNameFormat = "table.name.format";
    public const string AutoCreate = "auto.create";
    public const string AutoEvolve = "auto.evolve";
    public const string DeleteEnabled = "delete.enabled";
    public const string BatchSize = "batch.size";
    public const string FieldsWhitelist = "fields.whitelist";
    public const string MaxRetries = "max.retries";
    public const string RetryBackoffMs = "retry.backoff.ms";

    public static readonly string[] DefaultKafkaPkNames = ["__connect_topic", "__connect_partition", "__connect_offset"];

    private const string WritesGroup = "Writes";
    private const string DataMappingGroup = "Data Mapping";
    private const string DdlGroup = "DDL Support";
    private const string RetriesGroup = "Retries";

    public static readonly ConfigDef Definition = JdbcConfigs.DefineConnection(new ConfigDef())
        .Define(InsertModeKey, ConfigType.String, "insert", CaseInsensitiveValidString.In("insert", "upsert", "update"), Importance.High,
            "The insertion mode: insert (INSERT only), upsert (INSERT … ON CONFLICT … DO UPDATE) or update (UPDATE only).",
            WritesGroup, 1, Width.Medium, "Insert Mode")
        .Define(BatchSize, ConfigType.Int, 3000, Range.AtLeast(0), Importance.Medium,
            "How many records to write in one statement when possible.", WritesGroup, 2, Width.Short, "Batch Size")
        .Define(DeleteEnabled, ConfigType.Boolean, false, null, Importance.Medium,
            "Whether to treat null record values as deletes. Requires pk.mode to be record_key.", WritesGroup, 3, Width.Short, "Enable deletes")
        .Define(TableNameFormat, ConfigType.String, "${topic}", new NonEmptyString(), Importance.Medium,
            "A format string for the destination table name, which may contain '${topic}' for the originating topic name.",
            DataMappingGroup, 1, Width.Long, "Table Name Format")
        .Define(PkModeKey, ConfigType.String, "none", CaseInsensitiveValidString.In("none", "kafka", "record_key", "record_value"), Importance.High,
            "The primary key mode: none, kafka (topic, partition, offset), record_key or record_value.", DataMappingGroup, 2, Width.Medium, "Primary Key Mode")
        .Define(PkFields, ConfigType.List, "", null, Importance.Medium,
            "The primary key field names; their meaning depends on pk.mode.", DataMappingGroup, 3, Width.Long, "Primary Key Fields")
        .Define(FieldsWhitelist, ConfigType.List, "", null, Importance.Medium,
            "Record value fields to use; empty uses all of them.", DataMappingGroup, 4, Width.Long, "Fields Whitelist")
        .Define(AutoCreate, ConfigType.Boolean, false, null, Importance.Medium,
            "Whether to create the destination table (CREATE TABLE) from the record schema when it is missing.", DdlGroup, 1, Width.Short, "Auto-Create")
        .Define(AutoEvolve, ConfigType.Boolean, false, null, Importance.Medium,
            "Whether to add columns (ALTER TABLE … ADD) for record fields the table lacks.", DdlGroup, 2, Width.Short, "Auto-Evolve")
        .Define(MaxRetries, ConfigType.Int, 10, Range.AtLeast(0), Importance.Medium,
            "How many times to retry on a transient database error before failing the task.", RetriesGroup, 1, Width.Short, "Maximum Retries")
        .Define(RetryBackoffMs, ConfigType.Int, 3000, Range.AtLeast(0), Importance.Medium,
            "Time to wait in milliseconds after a transient error before a retry.", RetriesGroup, 2, Width.Short, "Retry Backoff (millis)");

    /// <summary>Confluent's sink keys this connector does not implement, and why.</summary>
    public static readonly IReadOnlyDictionary<string, string> NotImplemented = new Dictionary<string, string>
    {
        ["table.types"] = "the sink writes to tables only",
        ["timestamp.fields.list"] = "timestamp conversion of named fields is not implemented",
        ["timestamp.precision.mode"] = "timestamp conversion of named fields is not implemented",
        ["date.timezone"] = "Date values are written with db.timezone",
        ["string.output.value.column.name"] = "String record values are not supported; values must be Structs",
        ["mssql.use.merge.holdlock"] = "SQL Server only",
        ["trim.sensitive.log"] = "logs never hold record values here",
        ["connection.pool.max.size"] = "each task holds one connection",
    };

    public JdbcSinkConfig(IReadOnlyDictionary<string, string> props)
    {
        var config = new AbstractConfig(Definition, props.ToDictionary(kv => kv.Key, kv => (string?)kv.Value));
        ConnectorName = props.GetValueOrDefault("name", "");
        Url = config.GetString(JdbcConfigs.ConnectionUrl)!;
        User = config.GetString(JdbcConfigs.ConnectionUser);
        Password = config.GetPassword(JdbcConfigs.ConnectionPassword)?.Value;
        ConnectionAttempts = config.GetInt(JdbcConfigs.ConnectionAttempts);
        ConnectionBackoffMs = config.GetLong(JdbcConfigs.ConnectionBackoffMs);
        InsertMode = config.GetString(InsertModeKey)!.ToLowerInvariant() switch
        {
            "upsert" => InsertMode.Upsert,
            "update" => InsertMode.Update,
            _ => InsertMode.Insert,
        };
        PkMode = ParsePkMode(config.GetString(PkModeKey)!);
        PkFieldNames = config.GetList(PkFields).Where(f => f.Length > 0).ToList();
        TableFormat = config.GetString(TableNameFormat)!;
        AutoCreateTables = config.GetBoolean(AutoCreate);
        AutoEvolveTables = config.GetBoolean(AutoEvolve);
        DeletesEnabled = config.GetBoolean(DeleteEnabled);
        Batch = config.GetInt(BatchSize);
        Whitelist = config.GetList(FieldsWhitelist).Where(f => f.Length > 0).ToHashSet(StringComparer.Ordinal);
        Retries = config.GetInt(MaxRetries);
        RetryBackoff = config.GetInt(RetryBackoffMs);
        JdbcConfigs.TryZone(config.GetString(JdbcConfigs.DbTimezone)!, out var zone);
        TimeZone = zone;
        QuoteIdentifiers = !"never".Equals(config.GetString(JdbcConfigs.QuoteSqlIdentifiers), StringComparison.OrdinalIgnoreCase);
        if (DeletesEnabled && PkMode != PrimaryKeyMode.RecordKey)
            throw new ConfigException(DeleteEnabled, "true", "Primary key mode must be 'record_key' when delete support is enabled");
        if (PkMode == PrimaryKeyMode.Kafka && PkFieldNames.Count is not (0 or 3))
            throw new ConfigException(PkFields, string.Join(",", PkFieldNames),
                $"pk.mode kafka takes no pk.fields (the defaults {string.Join(",", DefaultKafkaPkNames)} apply) or exactly 3");
    }

    public static PrimaryKeyMode ParsePkMode(string text) => text.ToLowerInvariant() switch
    {
        "kafka" => PrimaryKeyMode.Kafka,
        "record_key" => PrimaryKeyMode.RecordKey,
        "record_value" => PrimaryKeyMode.RecordValue,
        _ => PrimaryKeyMode.None,
    };

    public string ConnectorName { get; }
    public string Url { get; }
    public string? User { get; }
    public string? Password { get; }
    public int ConnectionAttempts { get; }
    public long ConnectionBackoffMs { get; }
    public InsertMode InsertMode { get; }
    public PrimaryKeyMode PkMode { get; }
    public IReadOnlyList<string> PkFieldNames { get; }
    public string TableFormat { get; }
    public bool AutoCreateTables { get; }
    public bool AutoEvolveTables { get; }
    public bool DeletesEnabled { get; }
    public int Batch { get; }
    public IReadOnlySet<string> Whitelist { get; }
    public int Retries { get; }
    public int RetryBackoff { get; }
    public TimeZoneInfo TimeZone { get; }
    public bool QuoteIdentifiers { get; }

    public NpgsqlConnectionStringBuilder ConnectionString()
    {
        var builder = JdbcUrl.ToNpgsql(Url, User, Password);
        // One long-lived connection per task; the pool would only keep a broken one around.
        builder.Pooling = false;
        return builder;
    }

    public string PkModeText => PkMode switch
    {
        PrimaryKeyMode.Kafka => "kafka",
        PrimaryKeyMode.RecordKey => "record_key",
        PrimaryKeyMode.RecordValue => "record_value",
        _ => "none",
    };
}
