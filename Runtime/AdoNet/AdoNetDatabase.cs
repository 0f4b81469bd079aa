using System.Data.Common;
using System.Globalization;
using Microsoft.Extensions.Logging;
using OrleansConnect.Runtime.Hosting;

namespace OrleansConnect.Runtime.AdoNet;

/// <summary>Opens connections to the configured database and creates/migrates its schema on first start.</summary>
internal sealed partial class AdoNetDatabase
{
    private readonly GrainRuntimeOptions _options;
    private readonly ILogger _logger;
    private readonly Lazy<string> _connectionString;
    private readonly SemaphoreSlim _schemaLock = new(1, 1);
    private bool _schemaReady;

    public AdoNetDatabase(GrainRuntimeOptions options, RuntimeLogging logging)
    {
        _options = options;
        _logger = logging.CreateLogger<AdoNetDatabase>();
        Dialect = options.StorageProvider switch
        {
            GrainRuntimeOptions.Sqlite => new SqliteDialect(),
            GrainRuntimeOptions.PostgreSql => new PostgreSqlDialect(),
            _ => throw new ArgumentException($"Unknown grain storage provider \"{options.StorageProvider}\"."),
        };
        _connectionString = new Lazy<string>(() => Dialect.PrepareConnectionString(_options));
    }

    public SqlDialect Dialect { get; }

    public string ServiceId => _options.ServiceId;

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = Dialect.Factory.CreateConnection()
            ?? throw new InvalidOperationException($"The {Dialect.Name} ADO.NET provider created no connection.");
        try
        {
            connection.ConnectionString = _connectionString.Value;
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await Dialect.InitializeConnectionAsync(connection, cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public static DbCommand Command(DbConnection connection, string sql, DbTransaction? transaction = null)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }

    /// <summary>Creates the tables, or brings an older schema up to date. Safe to run from several processes.</summary>
    public async Task EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        if (_schemaReady) return;
        await _schemaLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_schemaReady) return;
            await MigrateAsync(cancellationToken).ConfigureAwait(false);
            _schemaReady = true;
        }
        finally
        {
            _schemaLock.Release();
        }
    }

    private async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await Dialect.PrepareDatabaseAsync(connection, cancellationToken).ConfigureAwait(false);
        await using (var create = Command(connection, Dialect.CreateSchemaVersionTable))
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        if (Dialect.MigrationLock is { } lockSql)
        {
            await using var lockCommand = Command(connection, lockSql, transaction);
            await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        long current;
        await using (var read = Command(connection, "SELECT COALESCE(MAX(version), 0) FROM oc_schema_version", transaction))
            current = Convert.ToInt64(await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);

        var latest = Dialect.Migrations.Count;
        if (current > latest)
            throw new InvalidOperationException(
                $"The {Dialect.Name} database has grain runtime schema version {current}, newer than this runtime's {latest}: upgrade the runtime.");

        foreach (var migration in Dialect.Migrations.Where(m => m.Version > current))
        {
            foreach (var statement in migration.Statements)
            {
                await using var command = Command(connection, statement, transaction);
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            await using var record = Command(connection,
                "INSERT INTO oc_schema_version (version, description, applied_utc) VALUES (@version, @description, @applied_utc)", transaction);
            record.AddParameter("version", migration.Version);
            record.AddParameter("description", migration.Description);
            record.AddParameter("applied_utc", DateTime.UtcNow);
            await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            LogMigrated(_logger, Dialect.Name, migration.Version, migration.Description);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied {Provider} grain runtime schema version {SchemaVersion}: {Description}")]
    private static partial void LogMigrated(ILogger logger, string provider, int schemaVersion, string description);
}

internal static class DbCommandExtensions
{
    public static void AddParameter(this DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }

    public static DateTime ReadUtc(this DbDataReader reader, int ordinal) =>
        DateTime.SpecifyKind(reader.GetDateTime(ordinal), DateTimeKind.Utc);
}
