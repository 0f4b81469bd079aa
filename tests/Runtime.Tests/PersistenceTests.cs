using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using OrleansConnect.Runtime.Storage;
using OrleansConnect.Runtime.Tests.Grains;
using OrleansConnect.Runtime.Tests.Infrastructure;
using Xunit;

namespace OrleansConnect.Runtime.Tests;

public sealed class PersistenceTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string NewKey() => Guid.NewGuid().ToString("N");

    private string DatabaseFile => Path.Combine(_dir.Path, "grains.db");

    [Fact]
    public async Task State_is_read_before_activation_and_survives_deactivation_and_restart()
    {
        var key = NewKey();
        await using (var host = await TestSilo.StartAsync(_dir.Path))
        {
            var grain = host.GrainFactory.GetGrain<IStateGrain>(key);
            Assert.False(await grain.RecordExists());
            await grain.Set("alice", 3, ["a", "b"]);
            Assert.Equal("1", await grain.GetEtag());

            await grain.Deactivate();
            await Poll.UntilAsync(() => host.Silo.ActivationCount == 0, "the grain deactivated");
            var reloaded = await grain.Get();
            Assert.Equal("alice", reloaded.Name);
            Assert.Equal(["a", "b"], reloaded.Tags);
            await grain.Set("alice", 4, ["a"]);
            Assert.Equal("2", await grain.GetEtag());
        }

        // A new runtime on the same file, as after a process restart.
        await using (var host = await TestSilo.StartAsync(_dir.Path, o => o.SiloId = "127.0.0.1:18084"))
        {
            var grain = host.GrainFactory.GetGrain<IStateGrain>(key);
            var state = await grain.Get();
            Assert.Equal(("alice", 4, DayOfWeek.Friday), (state.Name, state.Visits, state.Day));
            Assert.True(await grain.RecordExists());
            Assert.Equal("2", await grain.GetEtag());
        }
        Assert.Equal(["activated::False", "activated:alice:True", "activated:alice:True"], Probe.For(key).Events);
    }

    [Fact]
    public async Task Clearing_state_forgets_it()
    {
        await using var host = await TestSilo.StartAsync(_dir.Path);
        var key = NewKey();
        var grain = host.GrainFactory.GetGrain<IStateGrain>(key);
        await grain.Set("bob", 1, []);
        await grain.Clear();
        Assert.False(await grain.RecordExists());
        Assert.Equal("", (await grain.Get()).Name);

        await grain.Deactivate();
        await Poll.UntilAsync(() => host.Silo.ActivationCount == 0, "the grain deactivated");
        Assert.False(await grain.RecordExists());
        await grain.Set("bob again", 2, []);
        Assert.Equal("bob again", (await grain.Get()).Name);
    }

    [Fact]
    public async Task Optimistic_concurrency_detects_a_stale_writer()
    {
        await using var host = await TestSilo.StartAsync(_dir.Path);
        var storage = host.Services.GetRequiredService<IGrainStorage>();
        var options = host.Services.GetRequiredService<GrainRuntimeOptions>();
        var key = new GrainStateKey("test.Type", NewKey(), "profile");
        var first = new PersistentState<Profile>(storage, key, options.StateSerializerOptions);
        var second = new PersistentState<Profile>(storage, key, options.StateSerializerOptions);
        await first.ReadStateAsync();
        await second.ReadStateAsync();

        // Both think there is no record: the second insert loses.
        first.State.Name = "first";
        await first.WriteStateAsync();
        second.State.Name = "second";
        var insertConflict = await Assert.ThrowsAsync<InconsistentStateException>(() => second.WriteStateAsync());
        Assert.Contains("profile", insertConflict.Message);
        Assert.Contains("stored version is 1", insertConflict.Message);

        // After re-reading, the second writes; now the first is stale.
        await second.ReadStateAsync();
        Assert.Equal("first", second.State.Name);
        second.State.Name = "second";
        await second.WriteStateAsync();
        first.State.Name = "stale";
        await Assert.ThrowsAsync<InconsistentStateException>(() => first.WriteStateAsync());
        await Assert.ThrowsAsync<InconsistentStateException>(() => first.ClearStateAsync());

        var check = new PersistentState<Profile>(storage, key, options.StateSerializerOptions);
        await check.ReadStateAsync();
        Assert.Equal("second", check.State.Name);
        Assert.Equal("2", check.Etag);

        // A clear and a re-insert never make an etag from before them valid again.
        var beforeClear = new PersistentState<Profile>(storage, key, options.StateSerializerOptions);
        await beforeClear.ReadStateAsync();
        await check.ClearStateAsync();
        Assert.False(check.RecordExists);
        check.State.Name = "after clear";
        await check.WriteStateAsync();
        beforeClear.State.Name = "from before the clear";
        await Assert.ThrowsAsync<InconsistentStateException>(() => beforeClear.WriteStateAsync());
        Assert.Equal("after clear", await ReadNameAsync(storage, key, options));
    }

    [Fact]
    public async Task Service_ids_partition_one_database()
    {
        var key = NewKey();
        await using var blue = await TestSilo.StartAsync(_dir.Path, o => o.ServiceId = "blue");
        await using var green = await TestSilo.StartAsync(_dir.Path, o => o.ServiceId = "green");
        await blue.GrainFactory.GetGrain<IStateGrain>(key).Set("blue", 1, []);
        await green.GrainFactory.GetGrain<IStateGrain>(key).Set("green", 1, []);

        await using var connection = new SqliteConnection($"Data Source={DatabaseFile}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT service_id, payload FROM oc_grain_state WHERE grain_key = $key ORDER BY service_id";
        command.Parameters.AddWithValue("$key", key);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(string, string)>();
        while (await reader.ReadAsync()) rows.Add((reader.GetString(0), reader.GetString(1)));
        Assert.Equal(["blue", "green"], rows.Select(r => r.Item1));
        Assert.Contains("\"Name\":\"blue\"", rows[0].Item2);
        Assert.Contains("\"Day\":\"Friday\"", rows[0].Item2);
    }

    [Fact]
    public async Task A_corrupt_stored_state_fails_activation_clearly_and_is_left_alone()
    {
        var key = NewKey();
        await using var host = await TestSilo.StartAsync(_dir.Path);
        await host.GrainFactory.GetGrain<IStateGrain>(key).Set("x", 1, []);
        await host.GrainFactory.GetGrain<IStateGrain>(key).Deactivate();
        await Poll.UntilAsync(() => host.Silo.ActivationCount == 0, "the grain deactivated");

        await ExecuteAsync("UPDATE oc_grain_state SET payload = '{not json' WHERE grain_key = $key", key);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.GrainFactory.GetGrain<IStateGrain>(key).Get());
        Assert.Contains("profile", error.Message);
        Assert.Contains(key, error.Message);
        Assert.Equal(0, host.Silo.ActivationCount);
        Assert.Equal("{not json", await ScalarAsync("SELECT payload FROM oc_grain_state WHERE grain_key = $key", key));
    }

    [Fact]
    public async Task The_schema_is_versioned_and_the_file_uses_WAL()
    {
        await using (await TestSilo.StartAsync(_dir.Path)) { }
        await using (await TestSilo.StartAsync(_dir.Path)) { }

        Assert.Equal(2L, await ScalarAsync("SELECT MAX(version) FROM oc_schema_version", ""));
        Assert.Equal(2L, await ScalarAsync("SELECT COUNT(*) FROM oc_schema_version", ""));
        Assert.Equal("wal", await ScalarAsync("PRAGMA journal_mode", ""));
    }

    [Fact]
    public async Task A_schema_newer_than_the_runtime_is_refused()
    {
        await using (await TestSilo.StartAsync(_dir.Path)) { }
        await ExecuteAsync("INSERT INTO oc_schema_version (version, description, applied_utc) VALUES (99, 'future', '2100-01-01')", "");

        await using var host = SiloHost.Create(o => TestSilo.Defaults(o, _dir.Path));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());
        Assert.Contains("99", error.Message);
    }

    private static async Task<string> ReadNameAsync(IGrainStorage storage, GrainStateKey key, GrainRuntimeOptions options)
    {
        var state = new PersistentState<Profile>(storage, key, options.StateSerializerOptions);
        await state.ReadStateAsync();
        return state.State.Name;
    }

    private async Task ExecuteAsync(string sql, string key)
    {
        await using var connection = new SqliteConnection($"Data Source={DatabaseFile}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$key", key);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<object?> ScalarAsync(string sql, string key)
    {
        await using var connection = new SqliteConnection($"Data Source={DatabaseFile}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$key", key);
        return await command.ExecuteScalarAsync();
    }
}
