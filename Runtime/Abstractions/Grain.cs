namespace OrleansConnect.Runtime;

/// <summary>Base class of grain implementations. The runtime runs one call at a time per activation
/// (turn-based, non-reentrant); work started outside a turn must call back through a grain reference.</summary>
public abstract class Grain
{
    // Set by the runtime before OnActivateAsync.
    internal IGrainContext? ContextOrNull { get; set; }

    protected internal IGrainContext GrainContext =>
        ContextOrNull ?? throw new InvalidOperationException("The grain has not been activated by the runtime.");

    public GrainId GrainId => GrainContext.GrainId;

    public string GetPrimaryKeyString() => GrainContext.GrainId.Key;

    protected IGrainFactory GrainFactory => GrainContext.GrainFactory;

    /// <summary>The hosting silo's identity (advertised REST host:port).</summary>
    protected string SiloId => GrainContext.SiloId;

    /// <summary>This activation's epoch: every activation of the grain gets a higher one than the last (in a cluster
    /// the database assigns it), so work stamped with it can be fenced against a newer activation.</summary>
    protected long ActivationEpoch => GrainContext.ActivationEpoch;

    public virtual Task OnActivateAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public virtual Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Registers (or updates) a durable reminder; it survives deactivation and silo restarts.</summary>
    protected Task<IGrainReminder> RegisterOrUpdateReminder(string reminderName, TimeSpan dueTime, TimeSpan period) =>
        GrainContext.RegisterOrUpdateReminder(reminderName, dueTime, period);

    protected Task UnregisterReminder(IGrainReminder reminder) => GrainContext.UnregisterReminder(reminder);

    protected Task<IGrainReminder?> GetReminder(string reminderName) => GrainContext.GetReminder(reminderName);

    /// <summary>An in-memory timer whose callback runs as a grain turn; gone when the activation is.
    /// A period of <see cref="Timeout.InfiniteTimeSpan"/> fires once.</summary>
    protected IDisposable RegisterTimer(Func<CancellationToken, Task> callback, TimeSpan dueTime, TimeSpan period) =>
        GrainContext.RegisterTimer(callback, dueTime, period);

    /// <summary>Asks the runtime to deactivate this activation once the current turn ends.</summary>
    protected void DeactivateOnIdle() => GrainContext.DeactivateOnIdle();

    /// <summary>Keeps this activation from idle collection for at least <paramref name="timeSpan"/>
    /// (<see cref="TimeSpan.MaxValue"/>: until it deactivates itself or the silo stops; <see cref="TimeSpan.Zero"/>
    /// cancels an earlier delay). For grains whose work runs outside turns (background loops).</summary>
    protected void DelayDeactivation(TimeSpan timeSpan) => GrainContext.DelayDeactivation(timeSpan);

    /// <summary>A reference to this grain, for calls from work running outside a turn.</summary>
    protected TGrainInterface AsReference<TGrainInterface>() where TGrainInterface : IGrainWithStringKey =>
        GrainFactory.GetGrain<TGrainInterface>(GrainId.Key);
}

/// <summary>What the runtime gives an activation.</summary>
public interface IGrainContext
{
    GrainId GrainId { get; }
    IGrainFactory GrainFactory { get; }
    /// <summary>Identity of the silo hosting this activation (its advertised REST host:port, as Kafka Connect's worker_id).</summary>
    string SiloId { get; }
    /// <summary>Epoch of this activation; a later activation of the same grain always has a higher one.</summary>
    long ActivationEpoch { get; }
    /// <summary>True if this activation is still the grain's registered one (and, in a cluster, its silo still holds its
    /// membership lease). Check it before an irreversible side effect (a commit) to fence off a superseded activation.</summary>
    Task<bool> IsCurrentActivationAsync(CancellationToken cancellationToken = default);
    Task<IGrainReminder> RegisterOrUpdateReminder(string reminderName, TimeSpan dueTime, TimeSpan period);
    Task UnregisterReminder(IGrainReminder reminder);
    Task<IGrainReminder?> GetReminder(string reminderName);
    IDisposable RegisterTimer(Func<CancellationToken, Task> callback, TimeSpan dueTime, TimeSpan period);
    void DeactivateOnIdle();
    void DelayDeactivation(TimeSpan timeSpan);
}
