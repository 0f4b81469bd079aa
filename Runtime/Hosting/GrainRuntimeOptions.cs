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

    // ---- Clustering (off by default: one silo, in-memory directory, no silo-to-silo transport) ----

    /// <summary>Turns the silo into a member of a cluster: membership table with heartbeats, grain directory in
    /// storage (single activation enforced by the database), placement by activation count, silo-to-silo calls
    /// on <see cref="SiloPort"/>, and reminders spread over the active silos by a hash ring.</summary>
    public bool Clustering { get; set; }

    /// <summary>TCP port of the silo-to-silo endpoint (HTTP/2 without TLS); 0 picks a free port.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>The host other silos use to reach <see cref="SiloPort"/>; empty: the host part of <see cref="SiloId"/>.</summary>
    public string SiloAdvertisedHost { get; set; } = "";

    /// <summary>Shared secret of the cluster: every silo-to-silo request carries an HMAC-SHA256 made with it.
    /// Required with <see cref="Clustering"/> (at least 16 characters).</summary>
    public string ClusterSecret { get; set; } = "";

    /// <summary>How often a silo writes its "I am alive" heartbeat and reads the membership table.</summary>
    public TimeSpan MembershipProbePeriod { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A silo whose heartbeat has not changed for this long (as seen by another silo's own clock) is
    /// declared dead. With the default probe period a dead silo is declared within about 10 s.</summary>
    public TimeSpan SiloDeathTimeout { get; set; } = TimeSpan.FromSeconds(8);

    /// <summary>When a silo is declared dead (or hands its grains over at shutdown), the survivors activate at once
    /// its grains that have persistent state or reminders, instead of waiting for the next call or reminder.</summary>
    public bool EagerReactivation { get; set; }

    /// <summary>How often each silo compares its activations of [Rebalanceable] grain types with the other active
    /// silos' (and waits between two moves); <see cref="Timeout.InfiniteTimeSpan"/> turns rebalancing off.</summary>
    public TimeSpan RebalancePeriod { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The host advertised for <see cref="SiloPort"/>.</summary>
    internal string AdvertisedSiloHost
    {
        get
        {
            if (!string.IsNullOrWhiteSpace(SiloAdvertisedHost)) return SiloAdvertisedHost;
            var colon = SiloId.LastIndexOf(':');
            var host = colon > 0 ? SiloId[..colon] : SiloId;
            return host.Trim('[', ']');
        }
    }

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
        if (!Clustering) return;
        Require(SiloPort is >= 0 and <= 65535, nameof(SiloPort), $"must be between 0 and 65535, not {SiloPort}");
        Require(ClusterSecret is { Length: >= 16 }, nameof(ClusterSecret), "must be at least 16 characters when Clustering is on");
        Positive(MembershipProbePeriod, nameof(MembershipProbePeriod));
        Positive(RebalancePeriod, nameof(RebalancePeriod), allowInfinite: true);
        Require(SiloDeathTimeout >= MembershipProbePeriod * 2, nameof(SiloDeathTimeout),
            $"must be at least twice MembershipProbePeriod ({MembershipProbePeriod}), not {SiloDeathTimeout}");
        Require(!string.IsNullOrWhiteSpace(AdvertisedSiloHost), nameof(SiloAdvertisedHost), "must not be empty (nor the host part of SiloId)");
    }

    private static void Positive(TimeSpan value, string name, bool allowInfinite = false) =>
        Require(value > TimeSpan.Zero || (allowInfinite && value == Timeout.InfiniteTimeSpan), name,
            $"must be positive{(allowInfinite ? " (or Timeout.InfiniteTimeSpan)" : "")}, not {value}");

    private static void Require(bool ok, string name, string problem)
    {
        if (!ok) throw new ArgumentException($"GrainRuntimeOptions.{name} {problem}.", name);
    }
}
