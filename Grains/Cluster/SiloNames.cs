using Orleans.Runtime;
using OrleansConnect.Grains.Interfaces;

namespace OrleansConnect.Grains.Cluster;

/// <summary><see cref="ISiloNames"/> from this silo's membership view: each silo's SiloName is its worker id.</summary>
public sealed class SiloNames(IClusterMembershipService membership) : ISiloNames
{
    public string Describe(SiloAddress silo)
    {
        var members = membership.CurrentSnapshot.Members;
        if (members.TryGetValue(silo, out var member) && !string.IsNullOrEmpty(member.Name)) return member.Name;
        // Only the endpoint was known (generation 0): the member at that endpoint, the newest first.
        var atEndpoint = members.Values.Where(m => m.SiloAddress.Endpoint.Equals(silo.Endpoint) && !string.IsNullOrEmpty(m.Name))
            .OrderByDescending(m => m.SiloAddress.Generation).FirstOrDefault();
        return atEndpoint?.Name ?? silo.ToString();
    }
}
