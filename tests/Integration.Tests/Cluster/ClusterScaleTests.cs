using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Npgsql;
using OrleansConnect.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansConnect.Tests.Cluster;

/// <summary>Hundreds of idle connectors on three silo processes (Redis membership, PostgreSQL state): created
/// concurrently without a 5xx, all RUNNING and spread evenly, listed with their statuses in one request, with
/// PostgreSQL's connections within the silos' pool caps and its idle transaction rate independent of the task count,
/// and every task RUNNING on the survivors soon after a kill -9.</summary>
[Collection(BrokerCollection.Name)]
public sealed class ClusterScaleTests(TestBroker broker, PostgresServer postgres, RedisServer redis, ITestOutputHelper output)
    : IClassFixture<PostgresServer>, IClassFixture<RedisServer>, IAsyncLifetime
{
    private const int Connectors = 300;
    private const int Clients = 8;
    private const int PoolMax = 8;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "oc-scale-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _topic = "scale-" + Guid.NewGuid().ToString("N")[..6];
    private SiloCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        broker.Broker.CreateTopic(_topic, 1);
        _cluster = new SiloCluster(_dir, broker.BootstrapServers, postgres.ConnectionString, redis: redis.ConnectionString,
            new Dictionary<string, string> { ["storage.connection.pool.max"] = PoolMax.ToString() });
        await _cluster.StartAsync(3);
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Three_silos_hold_hundreds_of_idle_connectors_cheaply_and_fail_over_within_seconds()
    {
        var names = Enumerable.Range(0, Connectors).Select(i => $"idle-{i:D4}").ToList();
        var input = Path.Combine(_dir, "idle.txt");
        await File.WriteAllTextAsync(input, "");

        // Created by concurrent clients, each against its own silo in turn: no 5xx, and no connector twice.
        var created = Stopwatch.StartNew();
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Parallel.ForEachAsync(names.Select((name, i) => (name, i)), new ParallelOptions { MaxDegreeOfParallelism = Clients }, async (c, _) =>
        {
            var body = new JsonObject
            {
                ["name"] = c.name,
                ["config"] = SiloCluster.Config(new Dictionary<string, string>
                {
                    ["connector.class"] = "FileStreamSource", ["file"] = input, ["topic"] = _topic,
                }),
            };
            var (status, answer) = await _cluster[c.i % 3].Client.SendAsync(HttpMethod.Post, "connectors", body.ToJsonString());
            if (status != HttpStatusCode.Created) failures.Add($"{c.name}: {(int)status} {answer?.ToJsonString()}");
        });
        Assert.True(failures.IsEmpty, string.Join('\n', failures.Take(10)));
        output.WriteLine($"{Connectors} connectors created in {created.Elapsed.TotalSeconds:0.0} s");

        // All RUNNING, read the way a dashboard reads them: one expand=status request.
        var client = _cluster[0].Client;
        var statuses = await Eventually.Until(() => ExpandStatusAsync(client), s => s.Count == Connectors && s.Values.All(t => t.State == "RUNNING"),
            TimeSpan.FromSeconds(90), s => $"{s?.Values.Count(t => t.State == "RUNNING")} of {Connectors} RUNNING\n{_cluster.Logs}");
        output.WriteLine($"all RUNNING {created.Elapsed.TotalSeconds:0.0} s after the first create");

        // Spread evenly: within ±10 % of a third on each silo.
        var perSilo = statuses.Values.GroupBy(t => t.WorkerId).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine("tasks per silo: " + string.Join(", ", perSilo.Select(kv => $"{kv.Key}={kv.Value}")));
        Assert.Equal(3, perSilo.Count);
        Assert.All(perSilo.Values, n => Assert.InRange(n, Connectors / 3 * 9 / 10, Connectors / 3 * 11 / 10));

        // The listing agrees with each connector's own status.
        foreach (var name in names.Take(20))
        {
            var single = await _cluster[2].Client.StatusAsync(name);
            var task = single!["tasks"]![0]!;
            Assert.Equal(statuses[name].State, (string)task["state"]!);
            Assert.Equal(statuses[name].WorkerId, (string)task["worker_id"]!);
        }

        // Idle: PostgreSQL sees at most the silos' pools, and a transaction rate that does not grow with the tasks.
        var connections = await ScalarAsync("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()");
        output.WriteLine($"PostgreSQL connections to the silos' database: {connections}");
        Assert.InRange(connections, 1, 3 * PoolMax + 1); // + this test's own connection
        // Right after the start each silo's reminder service reads its ranges of the reminder table (every five minutes
        // after that): a quiet five-second window must come soon, with a rate far below one per task.
        var rate = await Eventually.Until(IdleRateAsync, r => r < 10, TimeSpan.FromSeconds(60), r => $"{r:0.0} transactions/s while idle with {Connectors} tasks");
        output.WriteLine($"idle PostgreSQL transactions: {rate:0.0}/s");

        // kill -9 of the silo with the most tasks: every task RUNNING on the survivors soon after.
        var victimId = perSilo.MaxBy(kv => kv.Value).Key;
        var victim = _cluster.Silos.First(s => s.WorkerId == victimId);
        var survivor = _cluster.Silos.First(s => s != victim).Client;
        var killed = Stopwatch.StartNew();
        await victim.KillAsync();
        await Eventually.Until(() => ExpandStatusAsync(survivor), s => s.Count == Connectors && s.Values.All(t => t.State == "RUNNING" && t.WorkerId != victimId),
            TimeSpan.FromSeconds(30), s => $"{s?.Values.Count(t => t.State == "RUNNING" && t.WorkerId != victimId)} of {Connectors} RUNNING on the survivors\n{_cluster.Logs}");
        output.WriteLine($"{perSilo[victimId]} tasks of the killed silo RUNNING elsewhere {killed.Elapsed.TotalSeconds:0.0} s after kill -9");

        // No storage trouble on the way.
        foreach (var silo in _cluster.Silos.Where(s => s != victim))
        {
            foreach (var sign in new[] { "too many clients", "CodecNotFoundException", "Npgsql.", "could not check it is still" })
                Assert.DoesNotContain(sign, silo.Log, StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>Each connector's single task (state, worker) from GET /connectors?expand=status.</summary>
    private static async Task<Dictionary<string, (string State, string WorkerId)>> ExpandStatusAsync(HttpClient client)
    {
        var (status, body) = await client.SendAsync(HttpMethod.Get, "connectors?expand=status").WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(status == HttpStatusCode.OK, $"{(int)status} {body?.ToJsonString()}");
        var result = new Dictionary<string, (string, string)>(StringComparer.Ordinal);
        foreach (var (name, entry) in body!.AsObject())
        {
            if (entry!["status"]!["tasks"]!.AsArray() is [var task, ..])
                result[name] = ((string)task!["state"]!, (string)task["worker_id"]!);
        }
        return result;
    }

    /// <summary>PostgreSQL transactions per second on the silos' database over a five-second window.</summary>
    private async Task<double> IdleRateAsync()
    {
        var before = await TransactionsAsync();
        var window = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(5)); // the measurement window itself, not a wait for a condition
        // The two queries of each reading are this test's own.
        return (await TransactionsAsync() - before - 2) / window.Elapsed.TotalSeconds;
    }

    private async Task<long> TransactionsAsync() =>
        await ScalarAsync("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()");

    private async Task<long> ScalarAsync(string sql)
    {
        // Its own unpooled connection, closed at once: it is not one of the silos'.
        await using var connection = new NpgsqlConnection(postgres.ConnectionString.Replace("Pooling=true", "Pooling=false"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT pg_stat_clear_snapshot()", connection);
        await command.ExecuteNonQueryAsync();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }
}
