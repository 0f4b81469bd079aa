using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans;
using Orleans.Runtime;
using Orleans.Storage;
using OrleansConnect.Grains.Interfaces.Errors;
using OrleansConnect.Silo.GrainStorage;
using OrleansConnect.Silo.Tests.Infrastructure;

namespace OrleansConnect.Silo.Tests;

/// <summary>The retry wrapper's decisions, driven by a scripted storage: cases a real server cannot produce on demand
/// (an answer lost after the write committed) and the rules that must never bend (an etag conflict is not retried).
/// The behaviour against real servers is in <see cref="StorageResilienceTests"/>.</summary>
public sealed class StorageRetryTests
{
    private static readonly GrainId Note = GrainId.Create("note", "n1");

    private static (ResilientGrainStorage Storage, CapturedLogs Logs) Wrap(IGrainStorage inner, TimeSpan? budget = null, string password = "")
    {
        var logs = new CapturedLogs();
        var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        var options = new ConnectStorageOptions
        {
            Vendor = StorageVendor.PostgreSql,
            ConnectionString = $"Host=db;Username=u;Password={password}",
            RetryBudget = budget ?? TimeSpan.FromSeconds(2),
            RetryFirstDelay = TimeSpan.FromMilliseconds(10),
            RetryMaxDelay = TimeSpan.FromMilliseconds(50),
        };
        return (new ResilientGrainStorage(inner, new StorageRetry(options, factory.CreateLogger<StorageRetry>())), logs);
    }

    private static NpgsqlException Refused() => new("Failed to connect to db:5432", new SocketException((int)SocketError.ConnectionRefused));

    [Fact]
    public async Task An_etag_conflict_is_never_retried()
    {
        var inner = new ScriptedStorage { OnWrite = (_, _) => throw new InconsistentStateException("version mismatch", "3", "2") };
        var (storage, logs) = Wrap(inner);
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("note", Note, new GrainState<NoteState>(new NoteState())));
        Assert.Equal(1, inner.Writes);
        Assert.Empty(logs.Lines);
    }

    [Fact]
    public async Task Transient_failures_are_retried_until_the_write_succeeds_and_logged_once()
    {
        var inner = new ScriptedStorage
        {
            OnWrite = (n, state) =>
            {
                if (n <= 2) throw Refused();
                state.ETag = "7";
            },
        };
        var (storage, logs) = Wrap(inner);
        var state = new GrainState<NoteState>(new NoteState { Text = "x" });
        await storage.WriteStateAsync("note", Note, state);
        Assert.Equal(3, inner.Writes);
        Assert.Equal("7", state.ETag);
        var warning = Assert.Single(logs.At(LogLevel.Warning));
        Assert.Equal("PostgreSQL storage: managed to write the state of note 'n1' after 3 attempts in " +
            warning.Message.Split(" in ")[1].Split(" ms")[0] + " ms (last transient failure: Failed to connect to db:5432: Connection refused)", warning.Message);
        Assert.Equal(2, logs.At(LogLevel.Debug).Count());
    }

    [Fact]
    public async Task A_write_whose_answer_was_lost_is_recognised_when_its_retry_meets_its_own_version()
    {
        // The first attempt commits, then the connection breaks before the answer; the retry then finds version 2.
        var stored = new GrainState<NoteState>(new NoteState()) { ETag = "1", RecordExists = true };
        var inner = new ScriptedStorage { Stored = stored };
        inner.OnWrite = (n, state) =>
        {
            if (state.ETag != stored.ETag) throw new InconsistentStateException("version mismatch", stored.ETag, state.ETag);
            var written = state.State!;
            stored.State = new NoteState { Text = written.Text, Revision = written.Revision, Tags = [.. written.Tags] };
            stored.ETag = (int.Parse(stored.ETag!) + 1).ToString();
            if (n == 1) throw new NpgsqlException("Exception while reading from stream", new EndOfStreamException());
            state.ETag = stored.ETag;
        };
        var (storage, _) = Wrap(inner);
        var state = new GrainState<NoteState>(new NoteState { Text = "written once", Revision = 2, Tags = ["a"] }) { ETag = "1", RecordExists = true };
        await storage.WriteStateAsync("note", Note, state);
        Assert.Equal(2, inner.Writes);
        Assert.Equal("2", state.ETag);
        Assert.Equal("written once", state.State!.Text);
    }

    [Fact]
    public async Task A_conflict_after_a_transient_failure_stays_a_conflict_when_someone_else_wrote()
    {
        var stored = new GrainState<NoteState>(new NoteState { Text = "another writer's" }) { ETag = "5", RecordExists = true };
        var inner = new ScriptedStorage
        {
            Stored = stored,
            OnWrite = (n, _) => throw (n == 1 ? Refused() : new InconsistentStateException("version mismatch", "5", "4")),
        };
        var (storage, logs) = Wrap(inner);
        var state = new GrainState<NoteState>(new NoteState { Text = "mine" }) { ETag = "4", RecordExists = true };
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("note", Note, state));
        Assert.Equal("4", state.ETag);
        Assert.Single(logs.At(LogLevel.Warning));
    }

    [Fact]
    public async Task A_SQL_error_is_not_retried_and_comes_out_as_our_500_with_the_servers_reason()
    {
        var inner = new ScriptedStorage
        {
            OnRead = _ => throw new PostgresException("relation \"orleansstorage\" does not exist", "ERROR", "ERROR", "42P01"),
        };
        var (storage, logs) = Wrap(inner);
        var error = await Assert.ThrowsAsync<StorageFailedException>(() => storage.ReadStateAsync("note", Note, new GrainState<NoteState>()));
        Assert.Equal(1, inner.Reads);
        Assert.Equal(500, error.Status);
        Assert.Equal("PostgreSQL storage: could not read the state of note 'n1' (42P01: relation \"orleansstorage\" does not exist).", error.Message);
        Assert.Equal(("PostgreSQL", "42P01", false), (error.Storage, error.ErrorCode, error.Transient));
        Assert.Null(error.InnerException);
        Assert.Single(logs.At(LogLevel.Warning));
    }

    [Fact]
    public async Task Retries_stop_at_the_budget_and_the_error_says_so_without_the_password()
    {
        const string password = "s3cret-pw";
        // A server message that echoes the password (none does today): it must still not come out.
        var inner = new ScriptedStorage { OnClear = _ => throw new PostgresException($"password {password} rejected", "FATAL", "FATAL", "57P03") };
        var budget = TimeSpan.FromMilliseconds(600);
        var (storage, logs) = Wrap(inner, budget, password);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<StorageFailedException>(() =>
            storage.ClearStateAsync("note", Note, new GrainState<NoteState>(new NoteState()) { ETag = "1", RecordExists = true }));
        clock.Stop();
        Assert.InRange(clock.Elapsed, budget, budget + TimeSpan.FromSeconds(2));
        Assert.True(inner.Clears > 3, $"{inner.Clears} attempts");
        Assert.StartsWith("PostgreSQL storage: could not clear the state of note 'n1' (57P03: password *** rejected; gave up after", error.Message);
        Assert.True(error.Transient);
        Assert.DoesNotContain(password, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(password, logs.Text, StringComparison.Ordinal);
    }

    /// <summary>An IGrainStorage whose every call runs a script; counts the calls.</summary>
    private sealed class ScriptedStorage : IGrainStorage
    {
        public Action<int>? OnRead { get; set; }
        public Action<int, IGrainState<NoteState>>? OnWrite { get; set; }
        public Action<int>? OnClear { get; set; }
        public GrainState<NoteState>? Stored { get; set; }
        public int Reads { get; private set; }
        public int Writes { get; private set; }
        public int Clears { get; private set; }

        public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        {
            OnRead?.Invoke(++Reads);
            if (Stored is not null && grainState is IGrainState<NoteState> note)
            {
                note.State = Stored.State;
                note.ETag = Stored.ETag;
                note.RecordExists = Stored.RecordExists;
            }
            return Task.CompletedTask;
        }

        public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        {
            OnWrite?.Invoke(++Writes, (IGrainState<NoteState>)grainState);
            return Task.CompletedTask;
        }

        public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        {
            OnClear?.Invoke(++Clears);
            return Task.CompletedTask;
        }
    }
}
