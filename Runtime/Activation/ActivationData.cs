using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrleansConnect.Runtime.GrainDirectory;
using OrleansConnect.Runtime.GrainTypes;
using OrleansConnect.Runtime.Reminders;
using OrleansConnect.Runtime.Timers;

namespace OrleansConnect.Runtime.Activation;

/// <summary>One activation of a grain: its instance, its mailbox and the loop that runs the mailbox one turn
/// at a time. The loop activates the grain first, and deactivates it when asked (by the grain, the idle
/// collector or shutdown). Calls still queued then go to the next activation.</summary>
internal sealed partial class ActivationData : IGrainContext
{
    private readonly object _lock = new();
    private readonly Channel<Turn?> _mailbox = Channel.CreateUnbounded<Turn?>(); // (the single-reader variant cannot count)
    private readonly TaskCompletionSource _deactivated = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<GrainTimer> _timers = [];
    private readonly Catalog _catalog;
    private readonly ILogger _logger;
    private ActivationState _state = ActivationState.Created;
    private DeactivationReason? _deactivation;
    private bool _deactivateAfterTurn;
    private bool _inTurn;
    private bool _registered;
    private DateTimeOffset _lastActivity;
    private DateTimeOffset _keepAliveUntil = DateTimeOffset.MinValue;
    private AsyncServiceScope? _scope;
    private Turn? _unstartedTurn;

    public ActivationData(GrainId grainId, GrainTypeInfo type, Catalog catalog)
    {
        GrainId = grainId;
        Type = type;
        _catalog = catalog;
        _logger = catalog.Logging.CreateLogger<ActivationData>();
        Address = new GrainAddress(grainId, catalog.Options.SiloId, Guid.NewGuid().ToString("N"));
        _lastActivity = catalog.Time.GetUtcNow();
    }

    public GrainId GrainId { get; }
    public GrainTypeInfo Type { get; }
    /// <summary>Set to the registered address (with its epoch) once the directory accepted this activation.</summary>
    public GrainAddress Address { get; private set; }
    public Grain? Grain { get; private set; }

    /// <summary>Completes once the activation is gone (deactivated, or failed to activate).</summary>
    public Task Deactivated => _deactivated.Task;

    public IGrainFactory GrainFactory => _catalog.GrainFactory;
    public string SiloId => _catalog.Options.SiloId;

    public long ActivationEpoch => Address.Epoch;

    public async Task<bool> IsCurrentActivationAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!_registered || _state >= ActivationState.Invalid) return false;
        }
        if (_catalog.Services.GetService(typeof(Membership.ClusterMembership)) is Membership.ClusterMembership { HoldsLease: false })
            return false;
        var current = _catalog.Directory is AdoNetGrainDirectory cluster
            ? await cluster.LookupFreshAsync(GrainId, cancellationToken).ConfigureAwait(false)
            : await _catalog.Directory.LookupAsync(GrainId, cancellationToken).ConfigureAwait(false);
        return current is not null && current.ActivationId == Address.ActivationId;
    }

    public void Start()
    {
        // The loop must not inherit the first caller's execution context (its logging scope, its AsyncLocals).
        using (ExecutionContext.SuppressFlow())
            _ = Task.Run(RunAsync);
    }

    /// <summary>Queues a turn; false once deactivation was requested (the caller then waits for <see cref="Deactivated"/>
    /// and goes to the next activation).</summary>
    public bool TryEnqueue(Turn turn)
    {
        lock (_lock)
        {
            if (_deactivation is not null || _state >= ActivationState.Deactivating) return false;
            return _mailbox.Writer.TryWrite(turn);
        }
    }

    /// <summary>Asks the activation to deactivate after its current turn.</summary>
    public Task RequestDeactivation(DeactivationReason reason)
    {
        lock (_lock)
        {
            if (_state != ActivationState.Invalid) RequestLocked(reason);
        }
        return Deactivated;
    }

    /// <summary>Deactivates the activation if it has been unused for <paramref name="age"/> and nothing keeps it alive.</summary>
    public bool TryCollectIfIdle(DateTimeOffset now, TimeSpan age)
    {
        lock (_lock)
        {
            if (_state != ActivationState.Valid || _deactivation is not null || _inTurn || _deactivateAfterTurn) return false;
            if (_mailbox.Reader.Count > 0 || now - _lastActivity < age || now < _keepAliveUntil) return false;
            if (_timers.Any(t => t.IsActive)) return false;
            RequestLocked(new DeactivationReason(DeactivationReasonCode.ActivationIdle, $"Unused for {age}."));
            return true;
        }
    }

    private void RequestLocked(DeactivationReason reason)
    {
        if (_deactivation is not null) return;
        _deactivation = reason;
        // Wakes an idle loop; it sees the request and deactivates.
        _mailbox.Writer.TryWrite(null);
    }

    private async Task RunAsync()
    {
        using var scope = _logger.BeginScope(new Dictionary<string, object> { ["GrainType"] = GrainId.Type, ["GrainKey"] = GrainId.Key });
        Exception? failure = null;
        try
        {
            await ActivateAsync().ConfigureAwait(false);
        }
        catch (DuplicateActivationException ex)
        {
            // Lost the race to another silo: queued calls go to the winner.
            failure = ex;
            lock (_lock) _state = ActivationState.Deactivating;
            LogLostRegistration(_logger, GrainId.Type, GrainId.Key, ex.Winner.SiloId);
        }
        catch (Exception ex)
        {
            failure = ex;
            lock (_lock) _state = ActivationState.Deactivating;
            LogActivationFailed(_logger, ex, GrainId.Type, GrainId.Key);
        }

        if (failure is null)
        {
            await ProcessMailboxAsync().ConfigureAwait(false);
            await DeactivateAsync().ConfigureAwait(false);
        }
        await FinishAsync(failure).ConfigureAwait(false);
    }

    private async Task ActivateAsync()
    {
        lock (_lock)
        {
            _state = ActivationState.Activating;
            _inTurn = true;
        }
        var winner = await _catalog.Directory.RegisterAsync(Address, CancellationToken.None).ConfigureAwait(false);
        if (winner.ActivationId != Address.ActivationId)
            throw new DuplicateActivationException(GrainId, winner);
        Address = winner;
        _registered = true;

        _scope = _catalog.Services.CreateAsyncScope();
        var (grain, loaders) = GrainActivator.Create(_scope.Value.ServiceProvider, this, _catalog.Options);
        grain.ContextOrNull = this;
        Grain = grain;

        using var cancellation = TimeoutSource(_catalog.Options.CallTimeout);
        foreach (var loader in loaders)
            await loader.ReadStateAsync(cancellation.Token).ConfigureAwait(false);
        await grain.OnActivateAsync(cancellation.Token).ConfigureAwait(false);

        lock (_lock)
        {
            _state = ActivationState.Valid;
            AfterTurnLocked();
        }
        LogActivated(_logger, GrainId.Type, GrainId.Key, Type.ImplementationType.Name);
    }

    private async Task ProcessMailboxAsync()
    {
        var reader = _mailbox.Reader;
        while (true)
        {
            if (!reader.TryRead(out var turn))
            {
                if (IsDeactivationRequested()) return;
                await reader.WaitToReadAsync().ConfigureAwait(false);
                continue;
            }
            if (turn is null) continue;
            if (IsDeactivationRequested())
            {
                _unstartedTurn = turn;
                return;
            }
            if (!turn.TryStart()) continue;

            lock (_lock) _inTurn = true;
            try
            {
                turn.Completion.TrySetResult(await turn.ExecuteAsync(this).ConfigureAwait(false));
            }
            catch (Exception ex)
            {
                turn.Completion.TrySetException(ex);
            }
            lock (_lock) AfterTurnLocked();
        }
    }

    private void AfterTurnLocked()
    {
        _inTurn = false;
        _lastActivity = _catalog.Time.GetUtcNow();
        if (_deactivateAfterTurn)
        {
            _deactivateAfterTurn = false;
            RequestLocked(new DeactivationReason(DeactivationReasonCode.ApplicationRequested, "DeactivateOnIdle was called."));
        }
    }

    private bool IsDeactivationRequested()
    {
        lock (_lock) return _deactivation is not null;
    }

    private async Task DeactivateAsync()
    {
        DeactivationReason reason;
        lock (_lock)
        {
            _state = ActivationState.Deactivating;
            reason = _deactivation ?? new DeactivationReason(DeactivationReasonCode.None, "");
        }
        DisposeTimers();
        var timeout = _catalog.Options.DeactivationTimeout;
        using var cancellation = TimeoutSource(timeout);
        Task? onDeactivate = null;
        try
        {
            onDeactivate = Grain!.OnDeactivateAsync(reason, cancellation.Token);
            await onDeactivate.WaitAsync(timeout, _catalog.Time).ConfigureAwait(false);
        }
        catch (TimeoutException) when (onDeactivate is { IsCompleted: false })
        {
            LogDeactivationTimedOut(_logger, GrainId.Type, GrainId.Key, timeout);
        }
        catch (Exception ex)
        {
            LogDeactivationFailed(_logger, ex, GrainId.Type, GrainId.Key);
        }
        LogDeactivated(_logger, GrainId.Type, GrainId.Key, reason.Code, reason.Description);
    }

    private async Task FinishAsync(Exception? failure)
    {
        DisposeTimers();
        if (_registered)
        {
            try
            {
                DeactivationReason? reason;
                lock (_lock) reason = _deactivation;
                if (reason is { Code: DeactivationReasonCode.Migrating, TargetSilo: { } target })
                    await _catalog.Directory.HandOffAsync(Address, target, CancellationToken.None).ConfigureAwait(false);
                else
                    await _catalog.Directory.UnregisterAsync(Address, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                LogUnregisterFailed(_logger, ex, GrainId.Type, GrainId.Key);
            }
        }
        _catalog.Remove(this);
        lock (_lock)
        {
            _state = ActivationState.Invalid;
            _mailbox.Writer.TryComplete();
        }
        // Turns accepted but not run: calls go to the next activation (or get the activation's failure).
        _unstartedTurn?.OnActivationGone(failure);
        while (_mailbox.Reader.TryRead(out var turn))
            turn?.OnActivationGone(failure);

        if (_scope is { } scope)
        {
            try
            {
                await scope.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                LogDeactivationFailed(_logger, ex, GrainId.Type, GrainId.Key);
            }
        }
        _deactivated.TrySetResult();
    }

    private CancellationTokenSource TimeoutSource(TimeSpan timeout) =>
        timeout == Timeout.InfiniteTimeSpan ? new CancellationTokenSource() : new CancellationTokenSource(timeout, _catalog.Time);

    // ---- IGrainContext ----

    public Task<IGrainReminder> RegisterOrUpdateReminder(string reminderName, TimeSpan dueTime, TimeSpan period)
    {
        if (!Type.IsRemindable)
            throw new InvalidOperationException($"Grain class {Type.ImplementationType.FullName} must implement IRemindable to register reminders.");
        return _catalog.Reminders.RegisterAsync(GrainId, reminderName, dueTime, period);
    }

    public Task UnregisterReminder(IGrainReminder reminder)
    {
        ArgumentNullException.ThrowIfNull(reminder);
        if (reminder is GrainReminder own && own.GrainId != GrainId)
            throw new ArgumentException($"Reminder '{reminder.ReminderName}' belongs to grain {own.GrainId}, not {GrainId}.", nameof(reminder));
        return _catalog.Reminders.UnregisterAsync(GrainId, reminder.ReminderName);
    }

    public Task<IGrainReminder?> GetReminder(string reminderName) => _catalog.Reminders.GetAsync(GrainId, reminderName);

    public IDisposable RegisterTimer(Func<CancellationToken, Task> callback, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        if (dueTime < TimeSpan.Zero && dueTime != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(dueTime), dueTime, "A timer's due time must be zero or positive (or Timeout.InfiniteTimeSpan).");
        if (period <= TimeSpan.Zero && period != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(period), period, "A timer's period must be positive, or Timeout.InfiniteTimeSpan to fire once.");
        GrainTimer timer;
        lock (_lock)
        {
            if (_state >= ActivationState.Deactivating)
                throw new InvalidOperationException($"Grain {GrainId} is deactivating; it cannot register timers.");
            timer = new GrainTimer(this, callback, dueTime, period, _catalog.Time, _logger);
            _timers.Add(timer);
        }
        timer.Start();
        return timer;
    }

    public void DeactivateOnIdle()
    {
        lock (_lock)
        {
            if (_state >= ActivationState.Deactivating) return;
            if (_inTurn) _deactivateAfterTurn = true;
            else RequestLocked(new DeactivationReason(DeactivationReasonCode.ApplicationRequested, "DeactivateOnIdle was called."));
        }
    }

    public void DelayDeactivation(TimeSpan timeSpan)
    {
        lock (_lock)
        {
            var now = _catalog.Time.GetUtcNow();
            _keepAliveUntil = timeSpan <= TimeSpan.Zero ? DateTimeOffset.MinValue
                : timeSpan >= DateTimeOffset.MaxValue - now ? DateTimeOffset.MaxValue
                : now + timeSpan;
        }
    }

    internal void RemoveTimer(GrainTimer timer)
    {
        lock (_lock) _timers.Remove(timer);
    }

    private void DisposeTimers()
    {
        GrainTimer[] timers;
        lock (_lock)
        {
            timers = [.. _timers];
            _timers.Clear();
        }
        foreach (var timer in timers) timer.Dispose();
    }

    public override string ToString() => $"{GrainId} [{Address.ActivationId}]";

    [LoggerMessage(Level = LogLevel.Debug, Message = "Activated grain {GrainType}/{GrainKey} ({GrainClass})")]
    private static partial void LogActivated(ILogger logger, string grainType, string grainKey, string grainClass);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Grain {GrainType}/{GrainKey} is already active on silo {SiloId}; not activating it here")]
    private static partial void LogLostRegistration(ILogger logger, string grainType, string grainKey, string siloId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Activation of grain {GrainType}/{GrainKey} failed")]
    private static partial void LogActivationFailed(ILogger logger, Exception exception, string grainType, string grainKey);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Deactivated grain {GrainType}/{GrainKey}: {ReasonCode} {Reason}")]
    private static partial void LogDeactivated(ILogger logger, string grainType, string grainKey, DeactivationReasonCode reasonCode, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "OnDeactivateAsync of grain {GrainType}/{GrainKey} failed")]
    private static partial void LogDeactivationFailed(ILogger logger, Exception exception, string grainType, string grainKey);

    [LoggerMessage(Level = LogLevel.Warning, Message = "OnDeactivateAsync of grain {GrainType}/{GrainKey} did not finish within {Timeout}; moving on")]
    private static partial void LogDeactivationTimedOut(ILogger logger, string grainType, string grainKey, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Removing grain {GrainType}/{GrainKey} from the grain directory failed")]
    private static partial void LogUnregisterFailed(ILogger logger, Exception exception, string grainType, string grainKey);
}

/// <summary>The directory already holds another live activation of the grain: this one never starts, and calls
/// queued for it are routed to the winner.</summary>
internal sealed class DuplicateActivationException(GrainId grainId, GrainAddress winner)
    : InvalidOperationException($"Grain {grainId} already has an activation ({winner.ActivationId} on silo {winner.SiloId}); a grain is active at most once.")
{
    public GrainAddress Winner { get; } = winner;
}
