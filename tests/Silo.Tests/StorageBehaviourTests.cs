using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Storage;
using OrleansConnect.Silo.GrainStorage;
using OrleansConnect.Silo.Tests.Infrastructure;
using OrleansConnect.Tests.Infrastructure;

namespace OrleansConnect.Silo.Tests;

/// <summary>What the silo's storage must do on every vendor: real silos, real databases, restarts in between.</summary>
public abstract class StorageBehaviourTests
{
    protected static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    protected abstract bool IsPostgres { get; }

    /// <summary>Storage options on a fresh, empty database.</summary>
    protected abstract Task<ConnectStorageOptions> NewStorageAsync();

    [Fact]
    public async Task Grain_state_survives_a_silo_restart_and_is_stored_as_readable_json()
    {
        var storage = await NewStorageAsync();
        await using (var silo = await TestSilo.StartAsync(storage))
        {
            await silo.Grains.GetGrain<INoteGrain>("n1").Set("hello \"json\"", "a", "b");
            await silo.Grains.GetGrain<IConnectNoteGrain>("n1").Set("through the connect name");
        }

        await using (var silo = await TestSilo.StartAsync(storage))
        {
            var note = await silo.Grains.GetGrain<INoteGrain>("n1").Get();
            Assert.Equal("hello \"json\"", note.Text);
            Assert.Equal(1, note.Revision);
            Assert.Equal(["a", "b"], note.Tags);
            Assert.Equal("through the connect name", (await silo.Grains.GetGrain<IConnectNoteGrain>("n1").Get()).Text);
        }

        var rows = await Databases.QueryAsync(IsPostgres, storage.ConnectionString,
            "SELECT Payload, Version FROM OrleansStorage WHERE GrainTypeString = 'note/note'");
        var payload = Assert.IsType<string>(Assert.Single(rows)[0]);
        using var json = JsonDocument.Parse(payload);
        Assert.Equal("hello \"json\"", json.RootElement.GetProperty("Text").GetString());
        Assert.Equal(1, json.RootElement.GetProperty("Revision").GetInt32());
        Assert.DoesNotContain("$type", payload, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_grain_types_with_the_same_key_and_state_name_keep_separate_rows()
    {
        // Orleans' ADO.NET provider alone would give both the same row (its key has no grain type).
        var storage = await NewStorageAsync();
        await using var silo = await TestSilo.StartAsync(storage);
        await silo.Grains.GetGrain<INoteGrain>("same").Set("written by NoteGrain");
        Assert.Equal("", (await silo.Grains.GetGrain<IOtherNoteGrain>("same").Get()).Text);
        var rows = await Databases.QueryAsync(IsPostgres, storage.ConnectionString, "SELECT GrainTypeString FROM OrleansStorage");
        Assert.Equal("note/note", Assert.Single(rows)[0]);
    }

    [Fact]
    public async Task A_write_with_a_stale_etag_throws_InconsistentStateException()
    {
        var storage = await NewStorageAsync();
        await using var silo = await TestSilo.StartAsync(storage);
        var provider = silo.Host.Services.GetRequiredKeyedService<IGrainStorage>("Default");
        Assert.Same(provider, silo.Host.Services.GetRequiredKeyedService<IGrainStorage>("connect"));
        var id = GrainId.Create("note", "stale");

        var first = new GrainState<NoteState>(new NoteState { Text = "first" });
        await provider.WriteStateAsync("note", id, first);
        var second = new GrainState<NoteState>();
        await provider.ReadStateAsync("note", id, second);
        Assert.Equal(first.ETag, second.ETag);

        first.State!.Text = "first again";
        await provider.WriteStateAsync("note", id, first);
        Assert.NotEqual(first.ETag, second.ETag);

        second.State!.Text = "lost update";
        await Assert.ThrowsAsync<InconsistentStateException>(() => provider.WriteStateAsync("note", id, second));
        await Assert.ThrowsAsync<InconsistentStateException>(() => provider.ClearStateAsync("note", id, second));
        // A writer that never saw the row (no etag) must not overwrite it either.
        var blind = new GrainState<NoteState>(new NoteState { Text = "blind" });
        await Assert.ThrowsAsync<InconsistentStateException>(() => provider.WriteStateAsync("note", id, blind));

        var check = new GrainState<NoteState>();
        await provider.ReadStateAsync("note", id, check);
        Assert.Equal("first again", check.State!.Text);
        Assert.Equal(first.ETag, check.ETag);
    }

    [Fact]
    public async Task Clear_then_write_works_and_survives_a_restart()
    {
        var storage = await NewStorageAsync();
        await using (var silo = await TestSilo.StartAsync(storage))
        {
            var grain = silo.Grains.GetGrain<INoteGrain>("cleared");
            await grain.Set("one");
            await grain.Clear();
            Assert.False(await grain.Exists());
            Assert.Equal("", (await grain.Get()).Text);
            var cleared = await Databases.QueryAsync(IsPostgres, storage.ConnectionString,
                "SELECT Payload FROM OrleansStorage WHERE GrainTypeString = 'note/note'");
            Assert.Null(Assert.Single(cleared)[0]);

            await grain.Set("two");
            Assert.True(await grain.Exists());
        }

        await using (var silo = await TestSilo.StartAsync(storage))
        {
            var note = await silo.Grains.GetGrain<INoteGrain>("cleared").Get();
            Assert.Equal("two", note.Text);
            Assert.Equal(1, note.Revision);
        }
    }

    [Fact]
    public async Task With_DeleteStateOnClear_a_clear_removes_the_row_and_a_later_write_starts_over()
    {
        var storage = await NewStorageAsync();
        await using (var silo = await TestSilo.StartAsync(storage, configure: s => s.Services.Configure<AdoNetGrainStorageOptions>(
                         ConnectStorageOptions.AdoNetProviderName, o => o.DeleteStateOnClear = true)))
        {
            var grain = silo.Grains.GetGrain<INoteGrain>("deleted");
            await grain.Set("one");
            await grain.Clear();
            var left = await Databases.QueryAsync(IsPostgres, storage.ConnectionString, "SELECT count(*) FROM OrleansStorage");
            Assert.Equal(0L, Convert.ToInt64(left[0][0]));
            await grain.Set("two");
        }
        var rows = await Databases.QueryAsync(IsPostgres, storage.ConnectionString, "SELECT Payload, Version FROM OrleansStorage");
        var row = Assert.Single(rows);
        Assert.Contains("\"two\"", (string)row[0]!, StringComparison.Ordinal);
        Assert.Equal(1L, Convert.ToInt64(row[1]));
    }

    [Fact]
    public async Task A_one_second_reminder_ticks_and_is_still_there_after_a_restart()
    {
        var storage = await NewStorageAsync();
        var key = "tick-" + Guid.NewGuid().ToString("N")[..8];
        int before;
        await using (var silo = await TestSilo.StartAsync(storage))
        {
            await silo.Grains.GetGrain<ITickGrain>(key).Start(TimeSpan.FromSeconds(1));
            await Eventually.Until(() => Task.FromResult(TickGrain.Ticks.GetValueOrDefault(key)), n => n >= 2, Deadline,
                n => $"two ticks of the 1 s reminder (saw {n})");
            var rows = await Databases.QueryAsync(IsPostgres, storage.ConnectionString,
                "SELECT ReminderName, Period FROM OrleansRemindersTable");
            var row = Assert.Single(rows);
            Assert.Equal("tick", row[0]);
            Assert.Equal(1000L, Convert.ToInt64(row[1]));
        }
        before = TickGrain.Ticks.GetValueOrDefault(key);

        // Nothing calls the grain after the restart: only the stored reminder can wake it.
        await using (var silo = await TestSilo.StartAsync(storage))
        {
            await Eventually.Until(() => Task.FromResult(TickGrain.Ticks.GetValueOrDefault(key)), n => n >= before + 2, Deadline,
                n => $"the reminder ticks again after the restart ({before} before, {n} now)");

            // Unregistering goes through the etag-checked delete statement.
            await silo.Grains.GetGrain<ITickGrain>(key).Stop();
            var left = await Databases.QueryAsync(IsPostgres, storage.ConnectionString, "SELECT count(*) FROM OrleansRemindersTable");
            Assert.Equal(0L, Convert.ToInt64(left[0][0]));
        }
    }

    [Fact]
    public async Task Many_grains_writing_at_once_all_succeed()
    {
        var storage = await NewStorageAsync();
        await using var silo = await TestSilo.StartAsync(storage);
        var keys = Enumerable.Range(0, 40).Select(i => $"busy-{i}").ToArray();
        for (var round = 1; round <= 3; round++)
        {
            var text = $"round {round}";
            await Task.WhenAll(keys.Select(k => silo.Grains.GetGrain<INoteGrain>(k).Set(text)));
        }
        var rows = await Databases.QueryAsync(IsPostgres, storage.ConnectionString,
            "SELECT count(*) FROM OrleansStorage WHERE GrainTypeString = 'note/note' AND Version = 3");
        Assert.Equal(40L, Convert.ToInt64(rows[0][0]));
    }
}

public sealed class SqliteStorageTests : StorageBehaviourTests, IDisposable
{
    private readonly TempDirectory _directory = new();

    protected override bool IsPostgres => false;

    protected override Task<ConnectStorageOptions> NewStorageAsync() => Task.FromResult(new ConnectStorageOptions
    {
        Vendor = StorageVendor.Sqlite,
        ConnectionString = Databases.NewSqliteFile(_directory.Path),
    });

    public void Dispose() => _directory.Dispose();
}

public sealed class PostgresStorageTests(PostgresServer server) : StorageBehaviourTests, IClassFixture<PostgresServer>
{
    protected override bool IsPostgres => true;

    protected override async Task<ConnectStorageOptions> NewStorageAsync() => new()
    {
        Vendor = StorageVendor.PostgreSql,
        ConnectionString = await Databases.NewPostgresDatabaseAsync(server),
    };
}
