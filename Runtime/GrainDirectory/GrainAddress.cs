namespace OrleansConnect.Runtime.GrainDirectory;

/// <summary>Where an activation lives: the grain, the silo hosting it and that activation's unique id.</summary>
public sealed record GrainAddress(GrainId GrainId, string SiloId, string ActivationId);
