namespace OrleansConnect.Runtime.Activation;

internal enum ActivationState
{
    Created,
    Activating,
    Valid,
    Deactivating,
    Invalid,
}
