using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace OrleansConnect.Runtime;

/// <summary>Configuration of one silo of the grain runtime.</summary>
public sealed class GrainRuntimeOptions
{
    public const string Sqlite = "sqlite";
    public const string PostgreSql = "postgresql";

    /// <summary>The cluster's id (Kafka Connect's group.id): partitions stored state and reminders so
    /// several clusters can share one database.</summary>
    public string ServiceId { get; set; } = "connect-cluster";

    /// <summary>This silo's identity: its advertised REST host:port (<see cref="IGrainContext.SiloId"/>).</summary>
    public string SiloId { get; set; } = "localhost:8083";

    /// <summary>"sqlite" (default) or "postgresql".</summary>
    public string StorageProvider { get; set; } = Sqlite;

    /// <summary>ADO.NET connection string. Empty with sqlite: a file <c>grains.db</c> in <see cref="DataDirectory"/>.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>Where the default SQLite file lives (created if missing).</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>Assemblies scanned for grain classes (non-abstract <see cref="Grain"/> subclasses).</summary>
    public List<Assembly> GrainAssemblies { get; set; } = [];

    /// <summary>How long a caller waits for a grain call (activation included) before a <see cref="TimeoutException"/>.</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Activations unused for this long are deactivated (see docs/runtime.md for what keeps one alive).</summary>
    public TimeSpan CollectionAge { get; set; } = TimeSpan.FromHours(2);

    /// <summary>How often the idle collector looks for idle activations.</summary>
    public TimeSpan CollectionQuantum { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Bound on one activation's OnDeactivateAsync (its token is cancelled then, and the runtime moves on).</summary>
    public TimeSpan DeactivationTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Bound on deactivating all activations when the silo stops.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Shortest reminder period accepted (Orleans insists on one minute; one second is enough here).</summary>
    public TimeSpan MinimumReminderPeriod { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often the reminder service re-reads the reminder table to pick up changes made elsewhere.</summary>
    public TimeSpan ReminderRefreshPeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Serializer of persistent grain state (reflection-based; enums as strings so reordering
    /// an enum does not change stored meaning).</summary>
    public JsonSerializerOptions StateSerializerOptions { get; set; } = new(JsonSerializerDefaults.General)
    {
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        Require(!string.IsNullOrWhiteSpace(ServiceId), nameof(ServiceId), "must not be empty");
        Require(!string.IsNullOrWhiteSpace(SiloId), nameof(SiloId), "must not be empty");
        Require(StorageProvider is Sqlite or PostgreSql, nameof(StorageProvider),
            $"must be \"{Sqlite}\" or \"{PostgreSql}\", not \"{StorageProvider}\"");
        Require(StorageProvider == Sqlite || !string.IsNullOrWhiteSpace(ConnectionString), nameof(ConnectionString),
            "is required for postgresql");
        Require(StorageProvider != Sqlite || !string.IsNullOrWhiteSpace(ConnectionString) || !string.IsNullOrWhiteSpace(DataDirectory),
            nameof(DataDirectory), "must not be empty when no sqlite connection string is given");
        Require(GrainAssemblies is not null && GrainAssemblies.All(a => a is not null), nameof(GrainAssemblies), "must not be or contain null");
        Positive(CallTimeout, nameof(CallTimeout), allowInfinite: true);
        Positive(CollectionAge, nameof(CollectionAge), allowInfinite: true);
        Positive(CollectionQuantum, nameof(CollectionQuantum));
        Positive(DeactivationTimeout, nameof(DeactivationTimeout));
        Positive(ShutdownTimeout, nameof(ShutdownTimeout));
        Positive(MinimumReminderPeriod, nameof(MinimumReminderPeriod));
        Positive(ReminderRefreshPeriod, nameof(ReminderRefreshPeriod));
        Require(StateSerializerOptions is not null, nameof(StateSerializerOptions), "must not be null");
    }

    private static void Positive(TimeSpan value, string name, bool allowInfinite = false) =>
        Require(value > TimeSpan.Zero || (allowInfinite && value == Timeout.InfiniteTimeSpan), name,
            $"must be positive{(allowInfinite ? " (or Timeout.InfiniteTimeSpan)" : "")}, not {value}");

    private static void Require(bool ok, string name, string problem)
    {
        if (!ok) throw new ArgumentException($"GrainRuntimeOptions.{name} {problem}.", name);
    }
}
