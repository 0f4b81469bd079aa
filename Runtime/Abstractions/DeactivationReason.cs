namespace OrleansConnect.Runtime;

public enum DeactivationReasonCode
{
    None,
    ApplicationRequested,
    ShuttingDown,
    ActivationFailed,
    DirectoryFailure,
    Migrating,
}

public readonly record struct DeactivationReason(DeactivationReasonCode Code, string Description);
