using OrleansConnect.Grains.Interfaces;
using Orleans.Runtime;

namespace OrleansConnect.Grains.Registry;

public sealed class ConnectorRegistryState
{
    public List<string> Names { get; set; } = [];
}

/// <summary>The connector names of one cluster (key = group.id), for listing. Each ConnectorGrain adds and
/// removes itself; its reminder re-adds it should a crash fall between the two writes.</summary>
public sealed class ConnectorRegistryGrain([PersistentState("registry")] IPersistentState<ConnectorRegistryState> state)
    : Grain, IConnectorRegistryGrain
{
    public async Task Add(string connector)
    {
        if (state.State.Names.Contains(connector)) return;
        state.State.Names.Add(connector);
        state.State.Names.Sort(StringComparer.Ordinal);
        await state.WriteStateAsync();
    }

    public async Task Remove(string connector)
    {
        if (state.State.Names.Remove(connector)) await state.WriteStateAsync();
    }

    public Task<List<string>> List() => Task.FromResult(state.State.Names.ToList());
}
