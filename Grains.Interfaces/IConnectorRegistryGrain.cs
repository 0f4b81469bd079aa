using Orleans;

namespace OrleansConnect.Grains.Interfaces;

/// <summary>The set of connector names in the cluster; key = the cluster's group.id.</summary>
[Alias("oc.IConnectorRegistryGrain")]
public interface IConnectorRegistryGrain : IGrainWithStringKey
{
    Task Add(string connector);
    Task Remove(string connector);
    Task<List<string>> List();
}
