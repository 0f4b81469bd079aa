using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using OrleansConnect.Tests.Infrastructure;

namespace OrleansConnect.Tests.Cluster;

/// <summary>Silo processes on loopback forming one Orleans cluster: the same group.id, membership (PostgreSQL, or Redis
/// when <paramref name="redis"/> is given) and PostgreSQL grain storage, distinct REST and silo ports, and the worker's
/// default membership timing (what users get).</summary>
public sealed class SiloCluster(string workDir, string bootstrapServers, string connectionString, string? redis = null,
    IReadOnlyDictionary<string, string>? settings = null) : IAsyncDisposable
{
    private readonly string _groupId = "cluster-" + Guid.NewGuid().ToString("N")[..8];

    public List<SiloProcess> Silos { get; } = [];

    /// <summary>The group.id, which Orleans uses as its cluster and service id.</summary>
    public string GroupId => _groupId;

    public SiloProcess this[int index] => Silos[index];

    /// <summary>Starts the silos one after the other (the first creates the schema) and waits until every one
    /// is healthy.</summary>
    public async Task StartAsync(int count)
    {
        for (var i = 0; i < count; i++) await AddSiloAsync();
    }

    public async Task<SiloProcess> AddSiloAsync()
    {
        var silo = NewSilo(Silos.Count);
        Silos.Add(silo);
        await silo.StartAsync(TimeSpan.FromSeconds(90));
        return silo;
    }

    /// <summary>A new process in place of silo <paramref name="index"/> (same settings and files, a new silo port), as a
    /// restart policy starts a silo again after it stopped itself.</summary>
    public async Task<SiloProcess> RestartAsync(int index)
    {
        await Silos[index].DisposeAsync();
        var silo = NewSilo(index, Silos[index].Port);
        Silos[index] = silo;
        await silo.StartAsync(TimeSpan.FromSeconds(90));
        return silo;
    }

    private SiloProcess NewSilo(int index, int? restPort = null)
    {
        var silo = new SiloProcess(Path.Combine(workDir, "silo" + index), bootstrapServers, new Dictionary<string, string>(settings ?? new Dictionary<string, string>())
        {
            ["group.id"] = _groupId,
            ["cluster.membership.provider"] = redis is null ? "postgresql" : "redis",
            ["cluster.membership.connection.string"] = redis ?? connectionString,
            ["storage.provider"] = "postgresql",
            ["storage.connection.string"] = connectionString,
            ["silo.port"] = FreePort().ToString(),
            ["silo.advertised.host.name"] = "127.0.0.1",
            // A sink task re-activated elsewhere joins its consumer group at once, but the group waits for the dead
            // member's session to expire before it gets the partitions: keep that near the silo death timeout.
            ["consumer.session.timeout.ms"] = "6000",
            ["consumer.heartbeat.interval.ms"] = "1000",
        }, restPort: restPort);
        return silo;
    }

    /// <summary>Every task of the connectors with the worker that runs it (from the status seen on one silo).</summary>
    public static async Task<List<(string Connector, int Task, string State, string WorkerId)>> TasksAsync(HttpClient client, IEnumerable<string> connectors)
    {
        var result = new List<(string, int, string, string)>();
        foreach (var name in connectors)
        {
            // Bounded: a call stuck on a paused silo must not hold up a poll with a deadline.
            var status = await client.StatusAsync(name).WaitAsync(TimeSpan.FromSeconds(5)) ?? throw new HttpRequestException($"no status for {name}");
            foreach (var task in status["tasks"]!.AsArray())
                result.Add((name, (int)task!["id"]!, (string)task["state"]!, (string?)task["worker_id"] ?? ""));
        }
        return result;
    }

    public string Logs => string.Join("\n", Silos.Select((s, i) => $"===== silo{i} {s.WorkerId}\n{Tail(s.Log, 60)}"));

    private static string Tail(string log, int lines)
    {
        var all = log.Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }

    public static string Describe(IEnumerable<(string Connector, int Task, string State, string WorkerId)>? tasks) =>
        tasks is null ? "none" : string.Join(", ", tasks.Select(t => $"{t.Connector}-{t.Task}:{t.State}@{t.WorkerId}"));

    public static JsonObject Config(IDictionary<string, string> config) => new(config.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));

    public async ValueTask DisposeAsync()
    {
        // OC_CLUSTER_LOGS=<dir> keeps every silo's full log for a post-mortem.
        if (Environment.GetEnvironmentVariable("OC_CLUSTER_LOGS") is { Length: > 0 } logDir)
        {
            Directory.CreateDirectory(logDir);
            for (var i = 0; i < Silos.Count; i++)
                await File.WriteAllTextAsync(Path.Combine(logDir, $"{Path.GetFileName(workDir)}-silo{i}-{Silos[i].Port}.log"), Silos[i].Log);
        }
        // The test is over: kill (a clean stop of every silo would only hand grains back and forth).
        await Task.WhenAll(Silos.Select(s => s.DisposeAsync().AsTask()));
    }

    private static int FreePort() => TestPorts.Free();
}
