namespace OrleansConnect.Runtime.Hosting;

internal enum SiloPhase
{
    Created,
    Starting,
    Running,
    Stopping,
    Stopped,
}

/// <summary>Where the silo is in its life; the call path and the catalog consult it.</summary>
internal sealed class SiloStatus
{
    private volatile SiloPhase _phase = SiloPhase.Created;

    public SiloPhase Phase
    {
        get => _phase;
        set => _phase = value;
    }
}
