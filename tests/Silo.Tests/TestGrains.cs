using System.Collections.Concurrent;
using Orleans;
using Orleans.Runtime;

namespace OrleansConnect.Silo.Tests;

[GenerateSerializer]
public sealed class NoteState
{
    [Id(0)] public string Text { get; set; } = "";
    [Id(1)] public int Revision { get; set; }
    [Id(2)] public List<string> Tags { get; set; } = [];
}

public interface INoteGrain : IGrainWithStringKey
{
    Task<NoteState> Get();
    Task<bool> Exists();
    Task Set(string text, params string[] tags);
    Task Clear();

    /// <summary>The silo this activation runs on.</summary>
    Task<string> Where();
}

/// <summary>Keeps its state in the "Default" provider.</summary>
public sealed class NoteGrain([PersistentState("note", "Default")] IPersistentState<NoteState> state, ILocalSiloDetails silo) : Grain, INoteGrain
{
    public Task<NoteState> Get() => Task.FromResult(state.State);

    public Task<string> Where() => Task.FromResult(silo.SiloAddress.ToParsableString());

    public Task<bool> Exists() => Task.FromResult(state.RecordExists);

    public async Task Set(string text, params string[] tags)
    {
        state.State.Text = text;
        state.State.Revision++;
        state.State.Tags = [.. tags];
        await state.WriteStateAsync();
    }

    public Task Clear() => state.ClearStateAsync();
}

public interface IOtherNoteGrain : IGrainWithStringKey
{
    Task<NoteState> Get();
}

/// <summary>Another grain type with the same state name as <see cref="NoteGrain"/>.</summary>
public sealed class OtherNoteGrain([PersistentState("note", "Default")] IPersistentState<NoteState> state) : Grain, IOtherNoteGrain
{
    public Task<NoteState> Get() => Task.FromResult(state.State);
}

public interface IConnectNoteGrain : IGrainWithStringKey
{
    Task<NoteState> Get();
    Task Set(string text);
}

/// <summary>Keeps its state under the "connect" name, the alias of the same provider.</summary>
public sealed class ConnectNoteGrain([PersistentState("connect-note", "connect")] IPersistentState<NoteState> state) : Grain, IConnectNoteGrain
{
    public Task<NoteState> Get() => Task.FromResult(state.State);

    public async Task Set(string text)
    {
        state.State.Text = text;
        state.State.Revision++;
        await state.WriteStateAsync();
    }
}

public interface ITickGrain : IGrainWithStringKey
{
    Task Start(TimeSpan period);
    Task Stop();
    Task<int> Count();
}

/// <summary>Counts reminder ticks in a process-wide table, so ticks are seen across silo restarts in one test.</summary>
public sealed class TickGrain : Grain, ITickGrain, IRemindable
{
    public static readonly ConcurrentDictionary<string, int> Ticks = new();

    public Task Start(TimeSpan period) => this.RegisterOrUpdateReminder("tick", period, period);

    public async Task Stop()
    {
        var reminder = await this.GetReminder("tick");
        if (reminder is not null) await this.UnregisterReminder(reminder);
    }

    public Task<int> Count() => Task.FromResult(Ticks.GetValueOrDefault(this.GetPrimaryKeyString()));

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        Ticks.AddOrUpdate(this.GetPrimaryKeyString(), 1, (_, n) => n + 1);
        return Task.CompletedTask;
    }
}
