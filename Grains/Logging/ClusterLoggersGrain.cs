using OrleansConnect.Grains.Interfaces;
using OrleansConnect.Grains.Interfaces.Models;
using Orleans.Runtime;
using Orleans.Storage;

namespace OrleansConnect.Grains.Logging;

/// <summary>What <see cref="ClusterLoggersGrain"/> stores: the latest version and the latest change of each namespace,
/// oldest first. Persisted so the version keeps growing when the grain is reactivated elsewhere: a silo that applied
/// version n must never be handed an unrelated change numbered n again.</summary>
public sealed class ClusterLoggersState
{
    public long Version { get; set; }
    public List<ClusterLoggerLevel> Levels { get; set; } = [];
}

/// <summary>Records cluster-scoped logger levels (key "cluster"); the silos poll it (docs/rest-api.md, Loggers).</summary>
public sealed class ClusterLoggersGrain(
    [PersistentState("loggers")] IPersistentState<ClusterLoggersState> state) : Grain, IClusterLoggersGrain
{
    public Task<long> Version() => Task.FromResult(state.State.Version);

    public async Task<ClusterLoggerChanges> SetLevel(string @namespace, string level, long appliedVersion)
    {
        var previous = state.State;
        var version = previous.Version + 1;
        var change = new ClusterLoggerLevel(@namespace, level, version);
        // An earlier level of the same namespace is superseded: applying the later one alone, in version order
        // among the others, leaves every silo where applying both would.
        state.State = new ClusterLoggersState
        {
            Version = version,
            Levels = [.. previous.Levels.Where(l => !string.Equals(l.Namespace, @namespace, StringComparison.Ordinal)), change],
        };
        try
        {
            await state.WriteStateAsync();
        }
        catch (Exception e)
        {
            // Not recorded: nobody may see the change, nor its version reused for another one in memory only.
            state.State = previous;
            if (e is InconsistentStateException)
                DeactivateOnIdle(); // another activation wrote; the next one reads what it wrote
            throw;
        }
        return Since(appliedVersion);
    }

    public Task<ClusterLoggerChanges> ChangesSince(long appliedVersion) => Task.FromResult(Since(appliedVersion));

    private ClusterLoggerChanges Since(long appliedVersion) =>
        new(state.State.Version, state.State.Levels.Where(l => l.Version > appliedVersion).ToList());
}
