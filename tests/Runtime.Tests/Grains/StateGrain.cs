namespace OrleansConnect.Runtime.Tests.Grains;

public sealed class Profile
{
    public string Name { get; set; } = "";
    public int Visits { get; set; }
    public List<string> Tags { get; set; } = [];
    public DayOfWeek Day { get; set; }
}

public interface IStateGrain : IGrainWithStringKey
{
    Task Set(string name, int visits, List<string> tags);
    Task<Profile> Get();
    Task<string?> GetEtag();
    Task<bool> RecordExists();
    Task Clear();
    Task Deactivate();
}

public sealed class StateGrain([PersistentState("profile")] IPersistentState<Profile> profile) : Grain, IStateGrain
{
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // State is loaded before activation.
        Probe.For(GetPrimaryKeyString()).Events.Enqueue($"activated:{profile.State.Name}:{profile.RecordExists}");
        Interlocked.Increment(ref Probe.For(GetPrimaryKeyString()).Activations);
        return Task.CompletedTask;
    }

    public async Task Set(string name, int visits, List<string> tags)
    {
        profile.State.Name = name;
        profile.State.Visits = visits;
        profile.State.Tags = tags;
        profile.State.Day = DayOfWeek.Friday;
        await profile.WriteStateAsync();
    }

    public Task<Profile> Get() => Task.FromResult(profile.State);

    public Task<string?> GetEtag() => Task.FromResult(profile.Etag);

    public Task<bool> RecordExists() => Task.FromResult(profile.RecordExists);

    public Task Clear() => profile.ClearStateAsync();

    public Task Deactivate()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }
}

public sealed class Settings
{
    public int Level { get; set; }
}

public interface ITwoStatesGrain : IGrainWithStringKey
{
    Task SetBoth(string name, int level);
    Task<string> Describe();
}

/// <summary>Two states told apart by name.</summary>
public sealed class TwoStatesGrain(
    [PersistentState("profile")] IPersistentState<Profile> profile,
    [PersistentState("settings")] IPersistentState<Settings> settings,
    IGrainFactory factory) : Grain, ITwoStatesGrain
{
    public async Task SetBoth(string name, int level)
    {
        profile.State.Name = name;
        settings.State.Level = level;
        await profile.WriteStateAsync();
        await settings.WriteStateAsync();
    }

    public Task<string> Describe() => Task.FromResult($"{profile.State.Name}/{settings.State.Level}/{factory is not null}");
}
