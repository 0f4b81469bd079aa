using System.Data.Common;

namespace OrleansConnect.Runtime.AdoNet;

/// <summary>What differs between the ADO.NET databases the runtime supports. The data statements are
/// shared (both accept @name parameters and INSERT ... ON CONFLICT); the DDL and connection set-up are not.</summary>
internal abstract class SqlDialect
{
    public abstract string Name { get; }

    public abstract DbProviderFactory Factory { get; }

    /// <summary>The schema migrations in order; version N is at index N-1. Never edit a released one: add the next.</summary>
    public abstract IReadOnlyList<SchemaMigration> Migrations { get; }

    /// <summary>DDL of the schema-version table, idempotent.</summary>
    public abstract string CreateSchemaVersionTable { get; }

    /// <summary>Taken inside the migration transaction so two processes do not migrate at once; null if the
    /// transaction itself already excludes other writers.</summary>
    public abstract string? MigrationLock { get; }

    /// <summary>Turns the configured connection string into the one to use (creating folders it needs).</summary>
    public virtual string PrepareConnectionString(GrainRuntimeOptions options) => options.ConnectionString;

    /// <summary>Once per database, before migrating (e.g. SQLite's journal mode).</summary>
    public virtual Task PrepareDatabaseAsync(DbConnection connection, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>On every opened connection.</summary>
    public virtual Task InitializeConnectionAsync(DbConnection connection, CancellationToken cancellationToken) => Task.CompletedTask;
}

internal sealed record SchemaMigration(int Version, string Description, IReadOnlyList<string> Statements);
