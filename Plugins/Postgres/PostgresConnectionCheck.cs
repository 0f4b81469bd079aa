using System.Net.Sockets;
using Npgsql;
using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Errors;

namespace OrleansConnect.Plugins.Postgres;

/// <summary>What the connector checks against the server, at validate and when a task starts: that it can log in to
/// the database, that wal_level is logical and that the user may stream changes (REPLICATION). At validate a failure
/// is an error on database.hostname, as Debezium reports its connection test ("Error while validating connector
/// config: …"), never holding the password.</summary>
public static class PostgresConnectionCheck
{
    /// <summary>The longest a validate waits for the server (a REST request is waiting on it).</summary>
    private const int ValidateTimeoutSeconds = 10;

    public static async Task ValidateAsync(IReadOnlyDictionary<string, string?> configs, IReadOnlyList<ConfigValue> values, CancellationToken ct)
    {
        if (values.Any(v => v.ErrorMessages.Count > 0)) return;
        // A config provider's placeholder is resolved only when the connector runs: nothing to try with yet.
        if (configs.Where(kv => kv.Key.StartsWith("database.", StringComparison.Ordinal)).Any(kv => kv.Value?.Contains("${", StringComparison.Ordinal) == true)) return;
        var hostname = values.FirstOrDefault(v => v.Name == PostgresConnectorConfig.Hostname);
        if (hostname is null) return;
        PostgresConnectorConfig config;
        try { config = PostgresConnectorConfig.Parse(configs.Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key, kv => kv.Value!)); }
        catch (ConfigException) { return; }

        var builder = new NpgsqlConnectionStringBuilder(config.ConnectionString("orleansconnect-validate")) { Timeout = ValidateTimeoutSeconds };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            await connection.OpenAsync(ct);
            await CheckServerAsync(config, connection, ct);
        }
        catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException or ConnectException)
        {
            var message = e is ConnectException known ? known.Message : PostgresSourceTask.Explain(config, e).Message;
            hostname.AddErrorMessage("Error while validating connector config: " + message);
        }
    }

    /// <summary>wal_level=logical and the REPLICATION privilege (or superuser), each refused with what to change.</summary>
    public static async Task CheckServerAsync(PostgresConnectorConfig config, NpgsqlConnection connection, CancellationToken ct)
    {
        await using (var command = new NpgsqlCommand("SHOW wal_level", connection))
        {
            var level = (string?)await command.ExecuteScalarAsync(ct);
            if (level != "logical")
                throw new ConnectException($"PostgreSQL at {config.Host}:{config.PortNumber} has wal_level={level}; change data capture needs "
                    + "wal_level=logical (set it in postgresql.conf and restart the server)");
        }
        await using (var command = new NpgsqlCommand("SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user", connection))
        {
            if (await command.ExecuteScalarAsync(ct) is not true)
                throw new ConnectException($"User '{config.UserName}' lacks the REPLICATION privilege it needs to stream changes "
                    + $"(ALTER ROLE {config.UserName} REPLICATION)");
        }
    }
}
