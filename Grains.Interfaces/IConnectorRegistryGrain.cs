using Orleans;

namespace OrleansConnect.Grains.Interfaces;

/// <summary>One shard of the connector names of a cluster; key = "&lt;group.id&gt;/&lt;shard&gt;". Reach it through
/// <see cref="ConnectorRegistry"/>, which picks the shard.</summary>
[Alias("oc.IConnectorRegistryGrain")]
public interface IConnectorRegistryGrain : IGrainWithStringKey
{
    Task Add(string connector);
    Task Remove(string connector);
    Task<List<string>> List();
}
