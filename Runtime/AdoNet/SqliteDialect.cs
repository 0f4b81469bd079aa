using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace OrleansConnect.Runtime.AdoNet;

internal sealed class SqliteDialect : SqlDialect
{
    public const string DefaultFileName = "grains.db";

    // Long enough to ride out another process's write transaction on a shared file.
    private const int BusyTimeoutMs = 10_000;

    public override string Name => GrainRuntimeOptions.Sqlite;

    public override DbProviderFactory Factory => SqliteFactory.Instance;

    public override string CreateSchemaVersionTable => """
        CREATE TABLE IF NOT EXISTS oc_schema_version (
            version     INTEGER NOT NULL PRIMARY KEY,
            description TEXT    NOT NULL,
            applied_utc TEXT    NOT NULL
        )
        """;

    // Microsoft.Data.Sqlite begins transactions with BEGIN IMMEDIATE: the write lock is taken up front.
    public override string? MigrationLock => null;

    public override IReadOnlyList<SchemaMigration> Migrations { get; } =
    [
        new(1, "grain state and reminders",
        [
            """
            CREATE TABLE IF NOT EXISTS oc_grain_state (
                service_id   TEXT    NOT NULL,
                grain_type   TEXT    NOT NULL,
                grain_key    TEXT    NOT NULL,
                state_name   TEXT    NOT NULL,
                version      INTEGER NOT NULL,
                payload      TEXT    NULL,
                modified_utc TEXT    NOT NULL,
                PRIMARY KEY (service_id, grain_type, grain_key, state_name)
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS oc_reminders (
                service_id    TEXT    NOT NULL,
                grain_type    TEXT    NOT NULL,
                grain_key     TEXT    NOT NULL,
                reminder_name TEXT    NOT NULL,
                start_utc     TEXT    NOT NULL,
                period_ms     INTEGER NOT NULL,
                last_tick_utc TEXT    NULL,
                modified_utc  TEXT    NOT NULL,
                PRIMARY KEY (service_id, grain_type, grain_key, reminder_name)
            )
            """,
        ]),
        new(2, "cluster membership and grain directory",
        [
            """
            CREATE TABLE IF NOT EXISTS oc_membership_version (
                service_id TEXT    NOT NULL PRIMARY KEY,
                version    INTEGER NOT NULL
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS oc_membership (
                service_id       TEXT    NOT NULL,
                silo_id          TEXT    NOT NULL,
                generation       INTEGER NOT NULL,
                address          TEXT    NOT NULL,
                status           TEXT    NOT NULL,
                start_utc        TEXT    NOT NULL,
                i_am_alive_utc   TEXT    NOT NULL,
                activation_count INTEGER NOT NULL,
                type_counts      TEXT    NULL,
                PRIMARY KEY (service_id, silo_id, generation)
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS oc_grain_directory (
                service_id      TEXT    NOT NULL,
                grain_type      TEXT    NOT NULL,
                grain_key       TEXT    NOT NULL,
                silo_id         TEXT    NULL,
                silo_generation INTEGER NULL,
                activation_id   TEXT    NULL,
                epoch           INTEGER NOT NULL,
                modified_utc    TEXT    NOT NULL,
                PRIMARY KEY (service_id, grain_type, grain_key)
            )
            """,
            "CREATE INDEX IF NOT EXISTS ix_oc_grain_directory_silo ON oc_grain_directory (service_id, silo_id, silo_generation)",
        ]),
    ];

    public override string PrepareConnectionString(GrainRuntimeOptions options)
    {
        var builder = string.IsNullOrWhiteSpace(options.ConnectionString)
            ? new SqliteConnectionStringBuilder { DataSource = Path.Combine(options.DataDirectory, DefaultFileName) }
            : new SqliteConnectionStringBuilder(options.ConnectionString);
        if (builder.Mode == SqliteOpenMode.Memory || builder.DataSource is "" or ":memory:")
            throw new ArgumentException("The grain runtime needs a SQLite file (several connections share it), not an in-memory database.");
        if (!builder.DataSource.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            var folder = Path.GetDirectoryName(Path.GetFullPath(builder.DataSource));
            if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
        }
        return builder.ToString();
    }

    public override async Task PrepareDatabaseAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        // WAL lets readers and one writer (in this or another process) proceed together; it sticks to the file.
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL";
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public override async Task InitializeConnectionAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA busy_timeout={BusyTimeoutMs}";
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
