using System.Data.Common;
using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace OrleansConnect.Silo.GrainStorage;

/// <summary>What a storage exception means: whether it is worth retrying, and the server's reason in a few words for a
/// message an operator or a REST client reads.</summary>
internal static class StorageFailures
{
    /// <summary>"PostgreSQL" or "SQLite", as messages name the storage.</summary>
    public static string Name(StorageVendor vendor) => vendor == StorageVendor.Sqlite ? "SQLite" : "PostgreSQL";

    /// <summary>A failure that says nothing about the request itself, so the same request may well succeed shortly:
    /// the server refused or dropped the connection, had no slot left, was starting or shutting down, or (SQLite) the
    /// file was locked by another writer.</summary>
    public static bool IsTransient(Exception e) => e switch
    {
        // 53300 too_many_connections, 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now, and the
        // 08 class (connection exceptions). Npgsql's IsTransient covers these and a few more (53xxx out of resources,
        // 40001/40P01 serialization failure and deadlock, whose transaction was rolled back).
        PostgresException pg => pg.IsTransient || pg.SqlState is "53300" or "57P01" or "57P02" or "57P03" || pg.SqlState.StartsWith("08", StringComparison.Ordinal),
        // Refused or broken connections, timeouts, and an exhausted pool (a TimeoutException inside).
        NpgsqlException npgsql => npgsql.IsTransient,
        // SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes (e.g. 517 BUSY_SNAPSHOT).
        SqliteException sqlite => (sqlite.SqliteErrorCode & 0xff) is 5 or 6,
        SocketException or TimeoutException => true,
        _ => false,
    };

    /// <summary>An exception that came from the database or the way to it (rather than from the caller, the serializer
    /// or Orleans, e.g. an etag conflict): these are reported as <see cref="Grains.Interfaces.Errors.StorageFailedException"/>.</summary>
    public static bool IsStorageError(Exception e) => e is DbException or SocketException or TimeoutException or IOException;

    /// <summary>The SQLSTATE or SQLite result code, when the server gave one.</summary>
    public static string? Code(Exception e) => e switch
    {
        PostgresException pg => pg.SqlState,
        SqliteException sqlite => sqlite.SqliteErrorCode.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => null,
    };

    /// <summary>The server's reason: "53300: sorry, too many clients already", or the client's account of a connection that
    /// failed ("Failed to connect to 127.0.0.1:5432: Connection refused"). Npgsql and Microsoft.Data.Sqlite never put a
    /// password in a message; <paramref name="secrets"/> are blanked anyway, in case a future version or a server
    /// message echoes one.</summary>
    public static string Reason(Exception e, IReadOnlyCollection<string> secrets)
    {
        string reason;
        switch (e)
        {
            case PostgresException pg:
                reason = $"{pg.SqlState}: {pg.MessageText}";
                break;
            case SqliteException sqlite:
                reason = sqlite.Message;
                break;
            default:
                // "Failed to connect to host:port" says where; the innermost exception says why (connection refused,
                // timeout, end of stream).
                var parts = new List<string>();
                for (var x = e; x is not null; x = x.InnerException)
                {
                    var text = x.Message.Trim().TrimEnd('.');
                    if (text.Length > 0 && !parts.Contains(text)) parts.Add(text);
                    if (parts.Count == 3) break;
                }
                reason = string.Join(": ", parts);
                break;
        }
        return Redact(reason, secrets);
    }

    public static string Redact(string text, IReadOnlyCollection<string> secrets)
    {
        foreach (var secret in secrets)
        {
            if (secret.Length > 0) text = text.Replace(secret, "***", StringComparison.Ordinal);
        }
        return text;
    }

    /// <summary>The values to blank from messages: the connection string's password.</summary>
    public static IReadOnlyCollection<string> Secrets(string connectionString)
    {
        try
        {
            var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
            return new[] { "Password", "Pwd" }
                .Where(given.ContainsKey)
                .Select(k => Convert.ToString(given[k], System.Globalization.CultureInfo.InvariantCulture) ?? "")
                .Where(s => s.Length > 0)
                .ToArray();
        }
        catch (ArgumentException)
        {
            return [];
        }
    }
}
