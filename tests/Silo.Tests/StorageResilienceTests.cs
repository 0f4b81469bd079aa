using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Data.Sqlite;
using Npgsql;
using Orleans;
using Orleans.Runtime;
using Orleans.Serialization;
using OrleansConnect.Grains.Interfaces.Errors;
using OrleansConnect.Silo.GrainStorage;
using OrleansConnect.Silo.Tests.Infrastructure;
using OrleansConnect.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansConnect.Silo.Tests;

/// <summary>The silo's storage when PostgreSQL misbehaves, against real throwaway servers: a restart within the retry
/// budget goes unnoticed by grains, the pool cap holds under load on a server with few connection slots, and an outage
/// longer than the budget reaches the caller (on another silo) as our 500 error naming the storage and the operation;
/// and a SQLite file locked by another writer is waited out. Each test starts servers of its own, because it stops them.</summary>
public sealed class StorageResilienceTests(ITestOutputHelper output)
{
    // Trust authentication ignores it; it is there to prove it never shows.
    private const string Password = "pw-never-shown-5d1e";

    private static async Task<string> NewDatabaseAsync(PostgresServer server) =>
        new NpgsqlConnectionStringBuilder(await Databases.NewPostgresDatabaseAsync(server)) { Password = Password }.ConnectionString;

    [Fact]
    public async Task Grain_writes_during_a_PostgreSQL_restart_succeed_without_an_error()
    {
        await using var server = new PostgresServerScope();
        await server.Server.InitializeAsync();
        var storage = new ConnectStorageOptions { Vendor = StorageVendor.PostgreSql, ConnectionString = await NewDatabaseAsync(server.Server) };
        var logs = new CapturedLogs();
        await using var silo = await TestSilo.StartAsync(storage, configure: logs.AddTo);
        var keys = Enumerable.Range(0, 20).Select(i => $"restart-{i}").ToArray();
        await Task.WhenAll(keys.Select(k => silo.Grains.GetGrain<INoteGrain>(k).Set("before")));

        // "fast" ends the pool's sessions with 57P01, then the port refuses connections until the restart.
        await server.Server.StopAsync("fast");
        var writes = keys.Select(k => silo.Grains.GetGrain<INoteGrain>(k).Set("during the restart")).ToArray();
        int Retried() => keys.Count(k => logs.At(LogLevel.Debug).Any(l => l.Message.Contains($"could not write the state of note '{k}'", StringComparison.Ordinal)));
        await Eventually.Until(() => Task.FromResult(Retried()), n => n == keys.Length, TimeSpan.FromSeconds(10),
            n => $"every write retried at least once ({n} of {keys.Length} were)\n{logs.Text}");
        Assert.All(writes, w => Assert.False(w.IsCompleted, "a write completed while PostgreSQL was down"));

        await server.Server.RestartAsync();
        await Task.WhenAll(writes).WaitAsync(TimeSpan.FromSeconds(30));

        var rows = await Databases.QueryAsync(true, storage.ConnectionString,
            "SELECT count(*) FROM OrleansStorage WHERE GrainTypeString = 'note/note' AND Payload LIKE '%during the restart%' AND Version = 2");
        Assert.Equal((long)keys.Length, Convert.ToInt64(rows[0][0]));
        // One Warning per write that needed retries, naming the operation; no error on the way.
        var recovered = logs.At(LogLevel.Warning).Where(l => l.Message.StartsWith("PostgreSQL storage: managed to write the state of note 'restart-", StringComparison.Ordinal)).ToList();
        Assert.Equal(keys.Length, recovered.Count);
        Assert.DoesNotContain(logs.Lines, l => l.Level >= LogLevel.Error);
        Assert.DoesNotContain(Password, logs.Text, StringComparison.Ordinal);
        output.WriteLine(logs.Text);
    }

    [Fact]
    public async Task A_write_blocked_by_another_SQLite_writer_is_retried_until_the_lock_is_released()
    {
        using var directory = new TempDirectory();
        var file = Path.Combine(directory.Path, "locked.db");
        // Microsoft.Data.Sqlite waits out a lock for the command timeout (30 s unless set) before it reports it busy.
        var storage = new ConnectStorageOptions { Vendor = StorageVendor.Sqlite, ConnectionString = $"Data Source={file};Default Timeout=1" };
        var logs = new CapturedLogs();
        await using var silo = await TestSilo.StartAsync(storage, configure: logs.AddTo);
        var grain = silo.Grains.GetGrain<INoteGrain>("locked");
        await grain.Set("before");

        Task write;
        await using (var holder = new SqliteConnection($"Data Source={file};Pooling=false"))
        {
            await holder.OpenAsync();
            await using (var begin = new SqliteCommand("BEGIN EXCLUSIVE", holder)) await begin.ExecuteNonQueryAsync();
            write = grain.Set("after the lock");
            await Eventually.Until(() => Task.FromResult(logs.At(LogLevel.Debug).Any(l =>
                    l.Message.StartsWith("SQLite storage: could not write the state of note 'locked' (attempt 1: SQLite Error 5: 'database is locked'", StringComparison.Ordinal))),
                TimeSpan.FromSeconds(10), $"the write found the file locked and retried\n{logs.Text}");
            Assert.False(write.IsCompleted, "the write completed while another connection held the write lock");
            await using var commit = new SqliteCommand("COMMIT", holder);
            await commit.ExecuteNonQueryAsync();
        }
        await write.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("after the lock", (await grain.Get()).Text);
        var rows = await Databases.QueryAsync(false, storage.ConnectionString, "SELECT Payload FROM OrleansStorage WHERE GrainTypeString = 'note/note'");
        Assert.Contains("after the lock", (string)Assert.Single(rows)[0]!, StringComparison.Ordinal);
        Assert.Single(logs.At(LogLevel.Warning), l => l.Message.StartsWith("SQLite storage: managed to write the state of note 'locked' after", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Connections_stay_within_the_pool_cap_on_a_server_with_few_slots()
    {
        const int cap = 4;
        // 15 slots in all: Npgsql's default pool (100) would meet "sorry, too many clients already" under this load.
        await using var server = new PostgresServerScope(maxConnections: 15);
        await server.Server.InitializeAsync();
        var storage = new ConnectStorageOptions
        {
            Vendor = StorageVendor.PostgreSql,
            ConnectionString = await NewDatabaseAsync(server.Server),
            MaxPoolSize = cap,
        };
        var database = new NpgsqlConnectionStringBuilder(storage.ConnectionString).Database!;
        await using var silo = await TestSilo.StartAsync(storage);

        using var loadDone = new CancellationTokenSource();
        var sampler = SamplePeakConnectionsAsync(server.Server, database, loadDone.Token);
        var keys = Enumerable.Range(0, 300).Select(i => $"load-{i}").ToArray();
        try
        {
            for (var round = 1; round <= 3; round++)
            {
                var text = $"round {round}";
                await Task.WhenAll(keys.Select(k => silo.Grains.GetGrain<INoteGrain>(k).Set(text)));
            }
            await Task.WhenAll(keys.Select(k => silo.Grains.GetGrain<INoteGrain>(k).Get()));
        }
        finally
        {
            await loadDone.CancelAsync();
        }
        var (peak, samples) = await sampler;

        output.WriteLine($"peak {peak} connections in {samples} samples");
        Assert.True(peak <= cap, $"{peak} connections to {database} at the peak, over the cap of {cap} ({samples} samples)");
        Assert.True(peak >= 2, $"the load never used more than {peak} connection(s) at once ({samples} samples): it did not test the cap");
        var rows = await Databases.QueryAsync(true, storage.ConnectionString,
            "SELECT count(*) FROM OrleansStorage WHERE GrainTypeString = 'note/note' AND Version = 3");
        Assert.Equal((long)keys.Length, Convert.ToInt64(rows[0][0]));
        Assert.DoesNotContain("too many clients", server.Server.ServerLog, StringComparison.Ordinal);
    }

    /// <summary>The most sessions on <paramref name="database"/> seen at once, counted by PostgreSQL itself, until
    /// cancelled. The sampler's own session is in another database.</summary>
    private static async Task<(long Peak, int Samples)> SamplePeakConnectionsAsync(PostgresServer server, string database, CancellationToken stop)
    {
        var admin = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = "postgres", Pooling = false }.ConnectionString;
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync(CancellationToken.None);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE datname = @db", connection);
        command.Parameters.AddWithValue("db", database);
        long peak = 0;
        var samples = 0;
        while (!stop.IsCancellationRequested)
        {
            peak = Math.Max(peak, (long)(await command.ExecuteScalarAsync(CancellationToken.None))!);
            samples++;
            // A sampling interval, not a wait for a condition.
            try { await Task.Delay(5, stop); }
            catch (OperationCanceledException) { }
        }
        return (peak, samples);
    }

    [Fact]
    public async Task An_outage_past_the_retry_budget_reaches_a_caller_on_another_silo_as_a_500_naming_storage_and_operation()
    {
        // Membership on one server, grain state and reminders on another that goes away: the cluster keeps working, so
        // what the caller gets is the storage failure, across a real silo-to-silo call.
        await using var membershipServer = new PostgresServerScope();
        await using var stateServer = new PostgresServerScope();
        await Task.WhenAll(membershipServer.Server.InitializeAsync(), stateServer.Server.InitializeAsync());
        var clustering = new ConnectStorageOptions
        {
            Vendor = StorageVendor.PostgreSql,
            ConnectionString = await Databases.NewPostgresDatabaseAsync(membershipServer.Server),
            Parts = StorageParts.Clustering,
        };
        var budget = TimeSpan.FromSeconds(2);
        var storage = new ConnectStorageOptions
        {
            Vendor = StorageVendor.PostgreSql,
            ConnectionString = await NewDatabaseAsync(stateServer.Server),
            RetryBudget = budget,
        };
        var logs = new CapturedLogs();
        await using var first = await TestSilo.StartAsync(storage, clusterId: "outage", clustering: clustering, configure: logs.AddTo);
        await using var second = await TestSilo.StartAsync(storage, clusterId: "outage", clustering: clustering, configure: logs.AddTo);
        var membership = first.Host.Services.GetRequiredService<IClusterMembershipService>();
        await Eventually.Until(() => Task.FromResult(membership.CurrentSnapshot.Members.Values.Count(m => m.Status == SiloStatus.Active)),
            n => n == 2, TimeSpan.FromSeconds(60), n => $"2 active silos, saw {n}");

        // A note activated on the second silo, called through the first.
        var secondAddress = second.Host.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress.ToParsableString();
        INoteGrain? remote = null;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        for (var i = 0; remote is null && DateTime.UtcNow < deadline; i++)
        {
            var note = first.Grains.GetGrain<INoteGrain>($"remote-{i}");
            if (await note.Where() == secondAddress) remote = note;
        }
        Assert.NotNull(remote);
        var remoteKey = remote.GetPrimaryKeyString();

        await stateServer.Server.StopAsync("immediate");

        var write = await FailsWithStorageErrorAsync(() => remote.Set("lost"), budget);
        Assert.StartsWith($"PostgreSQL storage: could not write the state of note '{remoteKey}' (", write.Message);
        Assert.Contains("Failed to connect to 127.0.0.1:", write.Message);
        Assert.Contains("gave up after", write.Message);
        Assert.Equal("write the state of note '" + remoteKey + "'", write.Operation);
        Assert.True(write.Transient);

        // A grain not active anywhere fails its activation on the read; the caller gets the same kind of answer.
        var read = await FailsWithStorageErrorAsync(() => first.Grains.GetGrain<INoteGrain>("never-activated").Get(), budget);
        Assert.StartsWith("PostgreSQL storage: could not read the state of note 'never-activated' (", read.Message);

        // Reminders are registered by the silo that owns the grain's range: Orleans' reminder table fails the same way.
        var reminder = await FailsWithStorageErrorAsync(() => first.Grains.GetGrain<ITickGrain>("outage-tick").Start(TimeSpan.FromSeconds(1)), budget);
        Assert.StartsWith("PostgreSQL storage: could not register reminder 'tick' of tick 'outage-tick' (", reminder.Message);

        var failed = logs.At(LogLevel.Warning).Where(l => l.Message.StartsWith($"PostgreSQL storage: could not write the state of note '{remoteKey}' after", StringComparison.Ordinal)).ToList();
        Assert.Single(failed);
        Assert.DoesNotContain(Password, logs.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(nameof(CodecNotFoundException), logs.Text, StringComparison.Ordinal);
        output.WriteLine(string.Join("\n", write.Message, read.Message, reminder.Message));
        output.WriteLine(logs.Text);
    }

    /// <summary>Runs a grain call that must fail with our storage error somewhere in what arrives (Orleans wraps a
    /// grain-state failure in an OrleansException), not before the budget and well within Orleans' 30 s timeout, and
    /// without a password, a connection string or a codec error anywhere in the chain.</summary>
    private static async Task<StorageFailedException> FailsWithStorageErrorAsync(Func<Task> call, TimeSpan budget)
    {
        var clock = Stopwatch.StartNew();
        var thrown = await Assert.ThrowsAnyAsync<Exception>(call);
        clock.Stop();
        var chain = new List<Exception>();
        for (var e = thrown; e is not null; e = e.InnerException) chain.Add(e);
        var all = string.Join("\n---\n", chain.Select(e => e.GetType().FullName + ": " + e.Message));
        Assert.DoesNotContain(chain, e => e is CodecNotFoundException);
        var error = chain.OfType<StorageFailedException>().FirstOrDefault();
        Assert.True(error is not null, $"no StorageFailedException in what the caller got:\n{all}");
        Assert.Equal(500, error.Status);
        Assert.Equal("PostgreSQL", error.Storage);
        Assert.DoesNotContain(Password, all, StringComparison.Ordinal);
        Assert.DoesNotContain("Username=", all, StringComparison.Ordinal);
        Assert.True(clock.Elapsed >= budget * 0.9, $"failed after {clock.Elapsed}, before the {budget} retry budget:\n{all}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(25), $"took {clock.Elapsed}:\n{all}");
        return error;
    }

    /// <summary>A PostgreSQL server of the test's own, removed with it.</summary>
    private sealed class PostgresServerScope(int maxConnections = 300) : IAsyncDisposable
    {
        public PostgresServer Server { get; } = new() { MaxConnections = maxConnections };

        public async ValueTask DisposeAsync() => await Server.DisposeAsync();
    }
}
