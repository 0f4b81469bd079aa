namespace OrleansConnect.Runtime.GrainDirectory;

/// <summary>Where an activation lives: the grain, the silo hosting it and that activation's unique id.
/// A directory sets <see cref="Generation"/> (the hosting silo's incarnation) and <see cref="Epoch"/> (bumped by
/// every registration of the grain, so a newer activation always has a higher epoch) when it registers one.</summary>
public sealed record GrainAddress(GrainId GrainId, string SiloId, string ActivationId)
{
    public long Generation { get; init; }

    public long Epoch { get; init; }
}
