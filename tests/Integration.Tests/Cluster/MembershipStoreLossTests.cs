using System.Diagnostics;
using Npgsql;
using OrleansConnect.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace OrleansConnect.Tests.Cluster;

/// <summary>The membership store loses every row (Redis flushed or restarted without persistence; the deployment's
/// rows deleted from PostgreSQL) under three silo processes running FileStream pipelines, and a silo is killed right
/// after: the survivors restore the table, vote the killed silo dead, and run its tasks within the usual failover
/// time; a clean stop afterwards is quick.</summary>
[Collection(BrokerCollection.Name)]
public sealed class MembershipStoreLossTests(TestBroker broker, PostgresServer postgres, RedisServer redis, ITestOutputHelper output)
    : IClassFixture<PostgresServer>, IClassFixture<RedisServer>, IAsyncLifetime
{
    private const int Pipelines = 3;
    private const int Lines = 6_000;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "oc-membership-loss-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..6];
    private SiloCluster? _cluster;

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null) await _cluster.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Redis_emptied_then_a_silo_killed_its_tasks_run_elsewhere_and_a_clean_stop_is_quick()
    {
        _cluster = new SiloCluster(_dir, broker.BootstrapServers, postgres.ConnectionString, redis: redis.ConnectionString);
        await _cluster.StartAsync(3);
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString + ",allowAdmin=true");
        var server = connection.GetServer(connection.GetEndPoints()[0]);

        await FailOverAfterLossAsync(async () =>
        {
            await server.FlushAllDatabasesAsync();
            return 0;
        }, async () =>
        {
            // The table is one hash: the version field and a field per silo.
            var keys = server.Keys().ToList();
            var fields = 0L;
            foreach (var key in keys) fields += await connection.GetDatabase().HashLengthAsync(key);
            return fields;
        }, storeDownAtStop: async () =>
        {
            // Then Redis goes away altogether: a clean stop cannot write its status, and must not wait long for it.
            try { await server.ExecuteAsync("SHUTDOWN", "NOSAVE"); }
            catch (RedisConnectionException) { }
            Assert.False(await redis.PingAsync());
        });
    }

    [Fact]
    public async Task PostgreSQL_membership_rows_deleted_then_a_silo_killed_its_tasks_run_elsewhere_and_a_clean_stop_is_quick()
    {
        _cluster = new SiloCluster(_dir, broker.BootstrapServers, postgres.ConnectionString);
        await _cluster.StartAsync(3);

        // Both tables at once: a silo writing its row between two plain deletes makes the second one break the foreign key.
        await FailOverAfterLossAsync(() => ExecuteAsync(
                "LOCK TABLE OrleansMembershipTable, OrleansMembershipVersionTable IN EXCLUSIVE MODE; " +
                "DELETE FROM OrleansMembershipTable WHERE DeploymentId = @g; " +
                "DELETE FROM OrleansMembershipVersionTable WHERE DeploymentId = @g",
                transaction: true),
            () => ExecuteAsync("SELECT count(*) FROM OrleansMembershipTable WHERE DeploymentId = @g", scalar: true));
    }

    private async Task<long> ExecuteAsync(string sql, bool scalar = false, bool transaction = false)
    {
        await using var connection = new NpgsqlConnection(postgres.ConnectionString.Replace("Pooling=true", "Pooling=false"));
        await connection.OpenAsync();
        await using var tx = transaction ? await connection.BeginTransactionAsync() : null;
        await using var command = new NpgsqlCommand(sql, connection, tx);
        command.Parameters.AddWithValue("g", _cluster!.GroupId);
        var result = scalar ? Convert.ToInt64(await command.ExecuteScalarAsync()) : await command.ExecuteNonQueryAsync();
        if (tx is not null) await tx.CommitAsync();
        return result;
    }

    /// <summary>Runs the pipelines, empties the store with <paramref name="wipe"/>, kills the busiest silo at once, and
    /// checks that its tasks run elsewhere, the table is whole again (<paramref name="rows"/>), no line is lost, and a
    /// survivor stops cleanly within 10 s (with the store stopped first by <paramref name="storeDownAtStop"/>).</summary>
    private async Task FailOverAfterLossAsync(Func<Task<long>> wipe, Func<Task<long>> rows, Func<Task>? storeDownAtStop = null)
    {
        var cluster = _cluster!;
        var lines = LineFiles.Numbered(Lines);
        var names = new List<string>();
        for (var i = 0; i < Pipelines; i++)
        {
            var topic = $"loss-{_suffix}-{i}";
            broker.Broker.CreateTopic(topic, 1);
            LineFiles.Write(Input(i), lines.Take(500));
            await cluster[i].Client.CreateConnectorAsync($"source-{_suffix}-{i}", new Dictionary<string, string>
            {
                ["connector.class"] = "FileStreamSource", ["file"] = Input(i), ["topic"] = topic,
            });
            await cluster[i].Client.CreateConnectorAsync($"sink-{_suffix}-{i}", new Dictionary<string, string>
            {
                ["connector.class"] = "FileStreamSink", ["file"] = Output(i), ["topics"] = topic,
            });
            names.Add($"source-{_suffix}-{i}");
            names.Add($"sink-{_suffix}-{i}");
        }
        foreach (var name in names) await cluster[0].Client.WaitForStateAsync(name, "RUNNING", 1, TimeSpan.FromSeconds(30));
        var writer = Task.Run(async () =>
        {
            foreach (var chunk in lines.Skip(500).Chunk(250))
            {
                for (var i = 0; i < Pipelines; i++) LineFiles.Write(Input(i), chunk, append: true);
                await Task.Delay(50);
            }
        });
        await Eventually.Until(() => Task.FromResult(Enumerable.Range(0, Pipelines).Min(i => LineFiles.CountLines(Output(i)))),
            n => n >= 1_000, TimeSpan.FromSeconds(60), n => $"{n} lines in every sink file before the loss\n{cluster.Logs}");

        var placed = await SiloCluster.TasksAsync(cluster[0].Client, names);
        var victim = cluster.Silos.OrderByDescending(s => placed.Count(t => t.WorkerId == s.WorkerId)).First();
        var orphans = placed.Where(t => t.WorkerId == victim.WorkerId).Select(t => (t.Connector, t.Task)).ToList();
        Assert.NotEmpty(orphans);
        var survivors = cluster.Silos.Where(s => s != victim).ToList();

        output.WriteLine($"wiped the membership store ({await wipe()} rows deleted)");
        var killed = Stopwatch.StartNew();
        await victim.KillAsync();

        await Eventually.Until(async () =>
            {
                try { return await SiloCluster.TasksAsync(survivors[0].Client, names); }
                catch (Exception e) when (e is HttpRequestException or TimeoutException) { return null; }
            },
            tasks => tasks is not null && orphans.All(o => tasks.Any(t => t.Connector == o.Connector && t.Task == o.Task
                && t.State == "RUNNING" && t.WorkerId != victim.WorkerId && t.WorkerId != "")),
            TimeSpan.FromSeconds(30), tasks => $"the tasks of {victim.WorkerId} RUNNING elsewhere; last: {SiloCluster.Describe(tasks)}\n{cluster.Logs}");
        var failover = killed.Elapsed;
        output.WriteLine($"killed {victim.WorkerId} ({orphans.Count} tasks) right after the wipe; all RUNNING elsewhere after {failover.TotalSeconds:F1} s");
        Assert.True(failover < TimeSpan.FromSeconds(15), $"failover after the wipe took {failover.TotalSeconds:F1} s\n{cluster.Logs}");
        // Every silo is back in the table (the killed one as dead), so later deaths can be voted too.
        var restored = await Eventually.Until(rows, n => n >= 3, TimeSpan.FromSeconds(15), n => $"{n} membership rows after the restore");
        output.WriteLine($"{restored} membership rows after the restore");

        await writer;
        for (var i = 0; i < Pipelines; i++)
        {
            var file = Output(i);
            var written = await Eventually.Until(() => Task.FromResult(LineFiles.ReadCompleteLines(file)),
                w => w.ToHashSet().Count >= lines.Length, TimeSpan.FromSeconds(60),
                w => $"{w?.ToHashSet().Count} distinct of {lines.Length} lines in {file}\n{cluster.Logs}");
            Assert.Empty(lines.Except(written));
        }

        // A clean stop writes the silo's status (ShuttingDown, then Dead) to the table: quick once it is restored, and
        // bounded when the store is down.
        if (storeDownAtStop is not null) await storeDownAtStop();
        var stopping = Stopwatch.StartNew();
        await survivors[1].StopAsync(TimeSpan.FromSeconds(60));
        output.WriteLine($"{survivors[1].WorkerId} stopped in {stopping.Elapsed.TotalSeconds:F1} s (exit code {survivors[1].ExitCode})");
        Assert.Equal(0, survivors[1].ExitCode);
        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(10), $"a clean stop took {stopping.Elapsed.TotalSeconds:F1} s\n{cluster.Logs}");
    }

    private string Input(int i) => Path.Combine(_dir, $"input-{i}.txt");
    private string Output(int i) => Path.Combine(_dir, $"output-{i}.txt");
}
