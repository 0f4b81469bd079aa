using System.Net.Sockets;
using Npgsql;
using OrleansConnect.Connect.Config;

namespace OrleansConnect.Plugins.Jdbc;

/// <summary>The connection test both JDBC connectors run at validate, as Confluent's (10.9) do: one connection with the
/// configured URL and credentials; a failure is an error on connection.url ("Could not connect to database. …") that
/// names host, database and user, never the password.</summary>
public static class JdbcConnectionCheck
{
    /// <summary>The longest a validate waits for the server (a REST request is waiting on it).</summary>
    private const int TimeoutSeconds = 10;

    public static async Task CheckAsync(List<ConfigValue> values, CancellationToken ct)
    {
        var byName = values.ToDictionary(v => v.Name, StringComparer.Ordinal);
        if (values.Any(v => v.ErrorMessages.Count > 0) || !byName.TryGetValue(JdbcConfigs.ConnectionUrl, out var urlValue)) return;
        var url = urlValue.Value as string;
        var user = byName.GetValueOrDefault(JdbcConfigs.ConnectionUser)?.Value as string;
        var password = byName.GetValueOrDefault(JdbcConfigs.ConnectionPassword)?.Value switch
        {
            Password p => p.Value,
            string s => s,
            _ => null,
        };
        // A config provider's placeholder is resolved only when the connector runs: nothing to try with yet.
        if (url is null || new[] { url, user, password }.Any(v => v?.Contains("${", StringComparison.Ordinal) == true)) return;

        var builder = JdbcUrl.ToNpgsql(url, user, password);
        builder.Pooling = false;
        builder.Timeout = Math.Min(builder.Timeout, TimeoutSeconds);
        builder.ApplicationName ??= "orleansconnect-validate";
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            await connection.OpenAsync(ct);
        }
        catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException)
        {
            urlValue.AddErrorMessage($"Could not connect to database. {Describe(builder, e)}");
        }
    }

    /// <summary>What failed and which setting to look at.</summary>
    public static string Describe(NpgsqlConnectionStringBuilder builder, Exception e)
    {
        var where = $"PostgreSQL at {builder.Host}:{builder.Port}/{builder.Database} as user '{builder.Username}'";
        return e switch
        {
            PostgresException { SqlState: "28P01" or "28000" } pg =>
                $"{where} refused the login: {pg.MessageText} (SQLSTATE {pg.SqlState}; check connection.user and connection.password)",
            PostgresException { SqlState: "3D000" } pg =>
                $"{where}: {pg.MessageText} (SQLSTATE {pg.SqlState}; check the database in connection.url)",
            PostgresException pg => $"{where}: {pg.MessageText} (SQLSTATE {pg.SqlState})",
            _ => $"Cannot reach {where}: {e.Message}{(e.InnerException is { } inner ? $" ({inner.Message})" : "")} (check the host and port in connection.url)",
        };
    }
}
