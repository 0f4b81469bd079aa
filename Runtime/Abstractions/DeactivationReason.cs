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

public readonly record struct DeactivationReason(DeactivationReasonCode Code, string Description);
