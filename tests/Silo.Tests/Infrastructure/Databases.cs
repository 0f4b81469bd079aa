using Microsoft.Data.Sqlite;
using Npgsql;
using OrleansConnect.Tests.Infrastructure;

namespace OrleansConnect.Silo.Tests.Infrastructure;

/// <summary>Fresh, empty databases for one test each, on the class's throwaway PostgreSQL server or in a temporary
/// directory for SQLite.</summary>
public static class Databases
{
    public static async Task<string> NewPostgresDatabaseAsync(PostgresServer server, string? owner = null)
    {
        var name = "t_" + Guid.NewGuid().ToString("N")[..10];
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}" + (owner is null ? "" : $" OWNER {owner}"), connection);
        await command.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = name }.ConnectionString;
    }

    public static string NewSqliteFile(string directory) => $"Data Source={Path.Combine(directory, Guid.NewGuid().ToString("N")[..8] + ".db")}";

    public static async Task<List<object?[]>> QueryAsync(bool postgres, string connectionString, string sql)
    {
        var rows = new List<object?[]>();
        if (postgres)
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(sql, connection);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync()) rows.Add(Row(reader));
        }
        else
        {
            await using var connection = new SqliteConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new SqliteCommand(sql, connection);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync()) rows.Add(Row(reader));
        }
        return rows;
    }

    private static object?[] Row(System.Data.Common.DbDataReader reader)
    {
        var values = new object?[reader.FieldCount];
        for (var i = 0; i < values.Length; i++) values[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
        return values;
    }
}

/// <summary>A temporary directory removed afterwards (SQLite files and their WAL side files).</summary>
public sealed class TempDirectory : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "oc-sqlite-" + Guid.NewGuid().ToString("N")[..8]);

    public TempDirectory() => Directory.CreateDirectory(Path);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}
