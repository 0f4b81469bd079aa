namespace OrleansConnect.Silo.GrainStorage;

/// <summary>Where the silo keeps Orleans' grain state, reminders and (PostgreSQL only) cluster membership.</summary>
public sealed class ConnectStorageOptions
{
    /// <summary>The grain storage name besides Orleans' "Default": both names reach the same provider instance.</summary>
    public const string ConnectStorageName = "connect";

    /// <summary>The name of the underlying Orleans ADO.NET provider (its options and log lines carry it). Grains
    /// should use "Default" or "connect", which add the grain type to the row key (see GrainTypeScopedStorage).</summary>
    public const string AdoNetProviderName = "connect-adonet";

    public StorageVendor Vendor { get; set; } = StorageVendor.Sqlite;

    /// <summary>Npgsql connection string ("Host=...;Port=...;Database=...;Username=...;Password=...") or
    /// Microsoft.Data.Sqlite connection string ("Data Source=path/to/file.db").</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>The providers to register and install. Clustering needs <see cref="StorageVendor.PostgreSql"/>; a
    /// single SQLite silo uses localhost clustering set up by the caller.</summary>
    public StorageParts Parts { get; set; } = StorageParts.Persistence | StorageParts.Reminders;

    /// <summary>Run <see cref="OrleansSqlSchema.InstallAsync"/> as the silo starts (idempotent). Turn off when the
    /// schema is installed by hand or the caller already awaited the installer before building the host.</summary>
    public bool InstallSchema { get; set; } = true;

    /// <summary>Upper bound on the installer at silo start (it waits for concurrent installers' locks).</summary>
    public TimeSpan InstallTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How grain state is written into the Payload column (JSON text either way).</summary>
    public GrainStateJson StateJson { get; set; } = GrainStateJson.SystemTextJson;

    /// <summary>The default of <see cref="MaxPoolSize"/>: three silos with one pool each stay well within PostgreSQL's
    /// default max_connections of 100.</summary>
    public const int DefaultMaxPoolSize = 10;

    /// <summary>PostgreSQL only: Npgsql's Maximum Pool Size for the providers' connections, unless the connection string
    /// names one itself (the string wins). Npgsql keeps one pool per distinct connection string, so grain state and
    /// reminders (and membership, when it uses the same string) share these connections.</summary>
    public int MaxPoolSize { get; set; } = DefaultMaxPoolSize;

    /// <summary>How long the silo keeps retrying a grain-state or reminder operation that failed transiently (connection
    /// refused, too many clients, the server restarting, SQLite busy). The last attempt starts within this time of the
    /// first; an attempt in flight is never abandoned. Zero turns retries off.</summary>
    public TimeSpan RetryBudget { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The first retry delay; each further one doubles, up to <see cref="RetryMaxDelay"/>, with jitter.</summary>
    public TimeSpan RetryFirstDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest delay between two attempts.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(1);

    public ConnectStorageOptions Clone() => (ConnectStorageOptions)MemberwiseClone();
}

/// <summary>The JSON serializer for grain state. Both ship with Orleans 10.</summary>
public enum GrainStateJson
{
    /// <summary>Orleans' SystemTextJsonGrainStorageSerializer: plain JSON of the state object, with public fields
    /// included and nulls left out. Matches the System.Text.Json the home-made runtime stored state with.</summary>
    SystemTextJson,

    /// <summary>Orleans' own default (JsonGrainStorageSerializer, Newtonsoft.Json with TypeNameHandling.All): every
    /// object carries a "$type" with its .NET type name, so renaming a state type breaks stored rows.</summary>
    NewtonsoftJson,
}
