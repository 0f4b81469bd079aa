using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Connector;
using Range = OrleansConnect.Connect.Config.Range;

namespace OrleansConnect.Plugins.Jdbc;

/// <summary>What the JDBC sink and source share: the connection keys, the check for keys neither the connector nor the
/// framework defines, and opening connections.</summary>
public static class JdbcConfigs
{
    public const string ConnectionUrl = "connection.url";
    public const string ConnectionUser = "connection.user";
    public const string ConnectionPassword = "connection.password";
    public const string ConnectionAttempts = "connection.attempts";
    public const string ConnectionBackoffMs = "connection.backoff.ms";
    public const string DialectName = "dialect.name";
    public const string DbTimezone = "db.timezone";
    public const string QuoteSqlIdentifiers = "quote.sql.identifiers";

    public const string ConnectionGroup = "Connection";

    public static ConfigDef DefineConnection(ConfigDef def) => def
        .Define(ConnectionUrl, ConfigType.String, ConfigDef.NoDefaultValue, new NonEmptyString(), Importance.High,
            "JDBC connection URL, e.g. jdbc:postgresql://localhost:5432/db?user=u&password=p (PostgreSQL only).",
            ConnectionGroup, 1, Width.Long, "JDBC URL")
        .Define(ConnectionUser, ConfigType.String, null, null, Importance.High, "JDBC connection user.", ConnectionGroup, 2, Width.Medium, "JDBC User")
        .Define(ConnectionPassword, ConfigType.Password, null, null, Importance.High, "JDBC connection password.", ConnectionGroup, 3, Width.Medium, "JDBC Password")
        .Define(ConnectionAttempts, ConfigType.Int, 3, Range.AtLeast(1), Importance.Low,
            "Maximum number of attempts to open a connection.", ConnectionGroup, 4, Width.Short, "JDBC connection attempts")
        .Define(ConnectionBackoffMs, ConfigType.Long, 10000L, null, Importance.Low,
            "Backoff time in milliseconds between connection attempts.", ConnectionGroup, 5, Width.Short, "JDBC connection backoff in milliseconds")
        .Define(DialectName, ConfigType.String, "", CaseInsensitiveValidString.In("", "PostgreSqlDatabaseDialect"), Importance.Low,
            "The database dialect; only PostgreSqlDatabaseDialect (or empty: from the URL) is available here.", ConnectionGroup, 6, Width.Long, "Database Dialect")
        .Define(DbTimezone, ConfigType.String, "UTC", LambdaValidator.With((name, value) =>
            {
                if (value is string zone && !TryZone(zone, out _)) throw new ConfigException(name, value, "Invalid time zone identifier");
            }, () => "Any valid time zone"), Importance.Medium,
            "Name of the time zone the connector uses for time-based values (TIMESTAMP, DATE, TIME columns).", ConnectionGroup, 7, Width.Medium, "DB time zone")
        .Define(QuoteSqlIdentifiers, ConfigType.String, "always", CaseInsensitiveValidString.In("always", "never"), Importance.Medium,
            "When to quote table names, column names and other identifiers in SQL statements.", ConnectionGroup, 8, Width.Medium, "Quote Identifiers");

    public static bool TryZone(string id, out TimeZoneInfo zone)
    {
        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(id);
            return true;
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            zone = TimeZoneInfo.Utc;
            return false;
        }
    }

    /// <summary>Adds an error for each key that neither <paramref name="def"/> nor the framework defines: a misspelt or
    /// unimplemented key would otherwise change nothing, silently. Confluent's connectors ignore such keys.</summary>
    public static void RefuseUnknownKeys(ConfigDef def, IReadOnlyDictionary<string, string?> configs, List<ConfigValue> values, string connector,
        IReadOnlyDictionary<string, string>? notImplemented = null)
    {
        var defined = def.Keys.Select(k => k.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var (key, value) in configs)
        {
            if (defined.Contains(key) || FrameworkKeys.Contains(key)) continue;
            var message = notImplemented is not null && notImplemented.TryGetValue(key, out var why)
                ? $"'{key}' is a key of Confluent's {connector} that this connector does not implement: {why}"
                : $"'{key}' is not a configuration key of the {connector} (misspelt?); remove it";
            values.Add(new ConfigValue(key, value, [], [message]));
        }
    }
}
