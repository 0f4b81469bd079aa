namespace OrleansConnect.Runtime.Membership;

internal sealed class LocalClusterMembership(GrainRuntimeOptions options) : IClusterMembership
{
    public string LocalSiloId { get; } = options.SiloId;

    public IReadOnlyList<string> ActiveSilos => [LocalSiloId];
}
