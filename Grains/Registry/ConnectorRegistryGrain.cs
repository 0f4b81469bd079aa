using OrleansConnect.Grains.Interfaces;
using Orleans.Runtime;

namespace OrleansConnect.Grains.Registry;

public sealed class ConnectorRegistryState
{
    public List<string> Names { get; set; } = [];
}

/// <summary>One shard of a cluster's connector names (<see cref="ConnectorRegistry"/>), for listing. Each
/// ConnectorGrain adds itself when created and again whenever it activates (a no-op when present), so a crash between
/// its own write and this one heals, and removes itself when deleted.</summary>
public sealed class ConnectorRegistryGrain([PersistentState("registry")] IPersistentState<ConnectorRegistryState> state)
    : Grain, IConnectorRegistryGrain
{
    private HashSet<string> _names = [];

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _names = new HashSet<string>(state.State.Names, StringComparer.Ordinal);
        var (groupId, shard) = ConnectorRegistry.ParseKey(this.GetPrimaryKeyString());
        if (shard is not null || _names.Count == 0) return;
        // The single registry of versions before the shards: hand its names over, then forget them.
        var registry = new ConnectorRegistry(GrainFactory, groupId);
        foreach (var name in _names) await registry.Add(name);
        await state.ClearStateAsync(cancellationToken);
        state.State.Names = [];
        _names = [];
    }

    public async Task Add(string connector)
    {
        if (!_names.Add(connector)) return;
        state.State.Names.Add(connector);
        try { await state.WriteStateAsync(); }
        catch
        {
            // Not stored: the next Add must write again.
            _names.Remove(connector);
            state.State.Names.Remove(connector);
            throw;
        }
    }

    public async Task Remove(string connector)
    {
        if (!_names.Remove(connector)) return;
        state.State.Names.Remove(connector);
        try { await state.WriteStateAsync(); }
        catch
        {
            _names.Add(connector);
            state.State.Names.Add(connector);
            throw;
        }
    }

    public Task<List<string>> List() => Task.FromResult(state.State.Names.ToList());
}
