using Microsoft.Extensions.Logging;
using Npgsql;
using OrleansConnect.Silo.Storage;
using OrleansConnect.Silo.Tests.Infrastructure;
using OrleansConnect.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansConnect.Silo.Tests;

/// <summary>The silo's storage when PostgreSQL misbehaves, against real throwaway servers: a restart within the retry
/// budget goes unnoticed by grains, and the pool cap holds under load on a server with few connection slots. Each test
/// starts servers of its own, because it stops them.</summary>
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

    /// <summary>A PostgreSQL server of the test's own, removed with it.</summary>
    private sealed class PostgresServerScope(int maxConnections = 300) : IAsyncDisposable
    {
        public PostgresServer Server { get; } = new() { MaxConnections = maxConnections };

        public async ValueTask DisposeAsync() => await Server.DisposeAsync();
    }
}
