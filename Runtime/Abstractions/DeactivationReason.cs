namespace OrleansConnect.Runtime;

public enum DeactivationReasonCode
{
    None,
    ApplicationRequested,
    ShuttingDown,
    ActivationFailed,
    DirectoryFailure,
    Migrating,
    /// <summary>Collected after being unused for the configured collection age.</summary>
    ActivationIdle,
}

public readonly record struct DeactivationReason(DeactivationReasonCode Code, string Description)
{
    /// <summary>With <see cref="DeactivationReasonCode.Migrating"/>: the silo the grain moves to. The directory entry is
    /// handed to it when the activation ends, so no other silo can activate the grain while it is in flight.</summary>
    public string? TargetSilo { get; init; }
}
