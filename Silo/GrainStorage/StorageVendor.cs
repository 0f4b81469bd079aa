namespace OrleansConnect.Silo.GrainStorage;

/// <summary>The databases the project carries Orleans ADO.NET scripts for.</summary>
public enum StorageVendor
{
    /// <summary>One SQLite file: the embedded single-silo default (Orleans invariant "System.Data.SQLite", served by Microsoft.Data.Sqlite).</summary>
    Sqlite,

    /// <summary>PostgreSQL through Npgsql (Orleans invariant "Npgsql").</summary>
    PostgreSql,
}

/// <summary>Which Orleans providers' tables and statements to install.</summary>
[Flags]
public enum StorageParts
{
    None = 0,

    /// <summary>Grain state (Orleans.Persistence.AdoNet).</summary>
    Persistence = 1,

    /// <summary>The reminder table (Orleans.Reminders.AdoNet).</summary>
    Reminders = 2,

    /// <summary>Cluster membership (Orleans.Clustering.AdoNet); PostgreSQL only.</summary>
    Clustering = 4,

    All = Persistence | Reminders | Clustering,
}
