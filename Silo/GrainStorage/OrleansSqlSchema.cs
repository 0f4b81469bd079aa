using System.Data.Common;
using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace OrleansConnect.Silo.GrainStorage;

/// <summary>Creates the tables and stored statements Orleans' ADO.NET providers expect. The NuGet packages carry
/// no SQL, so the project carries its own (GrainStorage/Sql/*.sql, embedded) and runs it at every start: each script is
/// idempotent and serializes concurrent installers, so several silos may start at once.</summary>
public static class OrleansSqlSchema
{
    /// <summary>Orleans' ADO.NET invariant for SQLite; Orleans maps it to Microsoft.Data.Sqlite.</summary>
    public const string SqliteInvariant = "System.Data.SQLite";

    /// <summary>Orleans' ADO.NET invariant for PostgreSQL (Npgsql).</summary>
    public const string PostgreSqlInvariant = "Npgsql";

    // A connect attempt to a silent host should fail well before a supervisor gives up on the silo.
    private const int DefaultConnectTimeoutSeconds = 10;

    public static string InvariantFor(StorageVendor vendor) => vendor switch
    {
        StorageVendor.Sqlite => SqliteInvariant,
        StorageVendor.PostgreSql => PostgreSqlInvariant,
        _ => throw new ArgumentOutOfRangeException(nameof(vendor), vendor, null),
    };

    /// <summary>The embedded scripts <see cref="InstallAsync"/> runs for these parts, in order.</summary>
    public static IReadOnlyList<string> ScriptsFor(StorageVendor vendor, StorageParts parts)
    {
        var prefix = vendor switch
        {
            StorageVendor.Sqlite => "Sqlite",
            StorageVendor.PostgreSql => "PostgreSQL",
            _ => throw new ArgumentOutOfRangeException(nameof(vendor), vendor, null),
        };
        var scripts = new List<string> { $"{prefix}-Main.sql" };
        if (parts.HasFlag(StorageParts.Clustering)) scripts.Add($"{prefix}-Clustering.sql");
        if (parts.HasFlag(StorageParts.Persistence)) scripts.Add($"{prefix}-Persistence.sql");
        if (parts.HasFlag(StorageParts.Reminders)) scripts.Add($"{prefix}-Reminders.sql");
        return scripts;
    }

    /// <summary>The text of one embedded script, e.g. "PostgreSQL-Persistence.sql".</summary>
    public static string ReadScript(string name)
    {
        var resource = "OrleansConnect.Silo.GrainStorage.Sql." + name;
        using var stream = typeof(OrleansSqlSchema).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The embedded SQL script {resource} is missing from the build.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Runs the scripts for <paramref name="parts"/>. Every failure (malformed connection string, server
    /// not reachable, database missing, no permission, a script error) comes out as one
    /// <see cref="StorageSetupException"/> whose message says what was tried and what failed.</summary>
    public static Task InstallAsync(StorageVendor vendor, string connectionString, StorageParts parts, CancellationToken ct)
    {
        if (vendor == StorageVendor.Sqlite && parts.HasFlag(StorageParts.Clustering))
            throw new StorageSetupException("SQLite storage: clustering needs PostgreSQL; a single SQLite silo uses localhost clustering.");
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new StorageSetupException($"{Describe(vendor)} storage: no connection string was given.");
        return vendor switch
        {
            StorageVendor.Sqlite => InstallSqliteAsync(connectionString, parts, ct),
            StorageVendor.PostgreSql => InstallPostgresAsync(connectionString, parts, ct),
            _ => throw new ArgumentOutOfRangeException(nameof(vendor), vendor, null),
        };
    }

    private static string Describe(StorageVendor vendor) => vendor == StorageVendor.Sqlite ? "SQLite" : "PostgreSQL";

    private static async Task InstallPostgresAsync(string connectionString, StorageParts parts, CancellationToken ct)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException)
        {
            // These messages name the offending keyword or position, never a value.
            throw new StorageSetupException($"PostgreSQL storage: the connection string is malformed ({e.Message}).", e);
        }
        if (string.IsNullOrWhiteSpace(builder.Host))
            throw new StorageSetupException("PostgreSQL storage: the connection string names no Host.");

        var target = $"PostgreSQL at {builder.Host}:{builder.Port}, database '{builder.Database ?? builder.Username}', user '{builder.Username}'";
        // Installer connections are private: a failed script must not leave a half-open transaction in a pool.
        builder.Pooling = false;
        if (!NamesAnyKey(connectionString, "Timeout", "Connect Timeout", "Connection Timeout"))
            builder.Timeout = DefaultConnectTimeoutSeconds;

        string? running = null;
        try
        {
            await using var connection = new NpgsqlConnection(builder.ConnectionString);
            await connection.OpenAsync(ct);
            foreach (var script in ScriptsFor(StorageVendor.PostgreSql, parts))
            {
                running = script;
                await using var command = new NpgsqlCommand(ReadScript(script), connection);
                await command.ExecuteNonQueryAsync(ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (PostgresException e)
        {
            var what = e.SqlState switch
            {
                "3D000" => $"database '{builder.Database}' does not exist (create it first, e.g. CREATE DATABASE {builder.Database})",
                "28P01" or "28000" => $"authentication failed ({e.MessageText})",
                "42501" => $"permission denied{(running is null ? "" : " running " + running)} ({e.MessageText})",
                "57P03" => $"the server is starting up or shutting down ({e.MessageText})",
                _ => running is null ? $"{e.SqlState}: {e.MessageText}" : $"{running} failed with {e.SqlState}: {e.MessageText}",
            };
            throw new StorageSetupException($"Storage setup failed for {target}: {what}.", e);
        }
        catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException or IOException or DbException)
        {
            var cause = Innermost(e) is TimeoutException
                ? $"no answer within the {builder.Timeout} s connect timeout"
                : Innermost(e).Message;
            throw new StorageSetupException($"Storage setup failed for {target}: cannot connect ({cause}).", e);
        }
    }

    private static async Task InstallSqliteAsync(string connectionString, StorageParts parts, CancellationToken ct)
    {
        SqliteConnectionStringBuilder builder;
        try
        {
            builder = new SqliteConnectionStringBuilder(connectionString);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException)
        {
            throw new StorageSetupException($"SQLite storage: the connection string is malformed ({e.Message}).", e);
        }
        var path = builder.DataSource;
        // Orleans opens a new connection per statement, so an in-memory database would vanish between them.
        if (string.IsNullOrWhiteSpace(path) || path == ":memory:" || builder.Mode == SqliteOpenMode.Memory)
            throw new StorageSetupException("SQLite storage: the connection string must name a database file (Data Source=path); in-memory databases cannot hold Orleans state.");
        var fullPath = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(fullPath);
        if (directory is not null && !Directory.Exists(directory))
            throw new StorageSetupException($"Storage setup failed for SQLite file {fullPath}: the directory {directory} does not exist.");

        builder.Pooling = false;
        string? running = null;
        try
        {
            await using var connection = new SqliteConnection(builder.ConnectionString);
            await connection.OpenAsync(ct);
            // WAL lets readers in other connections (and processes) go on while one writes; it is a property
            // of the file, so setting it once is enough. It cannot change inside a transaction, hence here.
            await using (var wal = new SqliteCommand("PRAGMA journal_mode=WAL;", connection))
            {
                await wal.ExecuteScalarAsync(ct);
            }
            foreach (var script in ScriptsFor(StorageVendor.Sqlite, parts))
            {
                running = script;
                await using var command = new SqliteCommand(ReadScript(script), connection);
                await command.ExecuteNonQueryAsync(ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (SqliteException e)
        {
            var what = e.SqliteErrorCode switch
            {
                5 or 6 => "the database stayed locked by another process past the busy timeout",
                8 => "the file is read-only",
                14 => "the file cannot be opened (check the path and permissions)",
                23 => "access denied",
                26 => "the file is not a SQLite database",
                _ => running is null ? e.Message : $"{running} failed: {e.Message}",
            };
            throw new StorageSetupException($"Storage setup failed for SQLite file {fullPath}: {what}.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StorageSetupException($"Storage setup failed for SQLite file {fullPath}: {e.Message}.", e);
        }
    }

    private static bool NamesAnyKey(string connectionString, params string[] keys)
    {
        // The plain builder keeps only the keys the string names (Npgsql's reports every known key).
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        return keys.Any(given.ContainsKey);
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }
}
