using Microsoft.Extensions.Logging;
using OrleansConnect.Runtime.Calls;
using OrleansConnect.Runtime.GrainTypes;
using OrleansConnect.Runtime.Hosting;
using OrleansConnect.Runtime.Timers;

namespace OrleansConnect.Runtime.Reminders;

/// <summary>Fires the reminders this silo owns: each at StartAt + k * Period, as a normal grain call of
/// <see cref="IRemindable.ReceiveReminder"/> (which activates the grain). Schedules are loaded at start, updated
/// at once on local registration changes and re-read from the table every <see cref="GrainRuntimeOptions.ReminderRefreshPeriod"/>.
/// Each delivered tick is recorded, so after a restart the next tick is the next boundary after the last one
/// delivered: at once if it fell due while no silo ran (missed boundaries fire once, not once each).</summary>
internal sealed partial class LocalReminderService(
    IReminderTable table,
    IReminderOwnership ownership,
    GrainTypeRegistry registry,
    GrainCallDispatcher dispatcher,
    GrainRuntimeOptions options,
    TimeProvider time,
    RuntimeLogging logging)
{
    private static readonly GrainMethodInfo ReceiveReminderMethod =
        new(typeof(IRemindable).GetMethod(nameof(IRemindable.ReceiveReminder))!);

    private readonly ILogger _logger = logging.CreateLogger<LocalReminderService>();
    private readonly object _lock = new();
    private readonly Dictionary<(GrainId, string), Schedule> _schedules = [];
    private readonly CancellationTokenSource _stopping = new();
    private long _changes;
    private CancellationTokenSource _wake = new();
    private bool _running;
    private Task _refresher = Task.CompletedTask;

    /// <summary>Cluster mode: claim each tick in the table before firing it (at most one silo fires a boundary),
    /// instead of recording it after delivery.</summary>
    public bool ClaimTicks { get; set; }

    /// <summary>Cluster mode: tells the owning silo that a reminder it does not own here changed.</summary>
    public Func<GrainId, Task>? NotifyOwner { get; set; }

    /// <summary>Re-reads the table now instead of at the next refresh period (ownership or the table changed).</summary>
    public void RequestRefresh()
    {
        CancellationTokenSource wake;
        lock (_lock) wake = _wake;
        try
        {
            wake.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public int ScheduledCount
    {
        get { lock (_lock) return _schedules.Count; }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var entries = await table.ReadAllAsync(cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            _running = true;
            Reconcile(entries);
        }
        LogStarted(_logger, ScheduledCount);
        using (ExecutionContext.SuppressFlow())
            _refresher = Task.Run(RefreshAsync);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Schedule[] schedules;
        lock (_lock)
        {
            _running = false;
            schedules = [.. _schedules.Values];
            _schedules.Clear();
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var schedule in schedules) schedule.Cancel();
        try
        {
            await Task.WhenAll(schedules.Select(s => s.Loop).Append(_refresher))
                .WaitAsync(options.ShutdownTimeout, time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            // A tick still in flight ends with its call timeout; shutdown does not wait for it.
        }
    }

    public void OnRegistered(ReminderEntry entry)
    {
        lock (_lock)
        {
            _changes++;
            if (_running && ownership.IsOwnedLocally(entry.GrainId)) Upsert(entry);
            else if (_running) Notify(entry.GrainId);
        }
    }

    private void Notify(GrainId grainId)
    {
        if (NotifyOwner is not { } notify) return;
        _ = notify(grainId).ContinueWith(t => LogNotifyFailed(_logger, t.Exception!, grainId.Type, grainId.Key),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    public void OnUnregistered(GrainId grainId, string reminderName)
    {
        lock (_lock)
        {
            _changes++;
            if (_schedules.Remove((grainId, reminderName), out var schedule)) schedule.Cancel();
            else if (_running && !ownership.IsOwnedLocally(grainId)) Notify(grainId);
        }
    }

    private async Task RefreshAsync()
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                CancellationTokenSource wake;
                lock (_lock) wake = _wake;
                using (var either = CancellationTokenSource.CreateLinkedTokenSource(token, wake.Token))
                {
                    try
                    {
                        await TimeUtil.DelayAsync(options.ReminderRefreshPeriod, time, either.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!token.IsCancellationRequested)
                    {
                        // Woken early by RequestRefresh.
                    }
                }
                lock (_lock)
                {
                    if (wake.IsCancellationRequested)
                    {
                        _wake = new CancellationTokenSource();
                        wake.Dispose();
                    }
                }
                long before;
                lock (_lock) before = _changes;
                var entries = await table.ReadAllAsync(token).ConfigureAwait(false);
                lock (_lock)
                {
                    // A local change raced with the read: the read may be stale; the next refresh catches up.
                    if (_running && before == _changes) Reconcile(entries);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogRefreshFailed(_logger, ex);
            }
        }
    }

    private void Reconcile(IReadOnlyList<ReminderEntry> entries)
    {
        var wanted = entries.Where(e => ownership.IsOwnedLocally(e.GrainId)).ToDictionary(e => (e.GrainId, e.ReminderName));
        foreach (var (key, schedule) in _schedules.ToList())
        {
            if (!wanted.ContainsKey(key))
            {
                _schedules.Remove(key);
                schedule.Cancel();
            }
        }
        foreach (var entry in wanted.Values) Upsert(entry);
    }

    private void Upsert(ReminderEntry entry)
    {
        var key = (entry.GrainId, entry.ReminderName);
        if (_schedules.TryGetValue(key, out var existing))
        {
            if (existing.Entry.SameSchedule(entry)) return;
            existing.Cancel();
            _schedules.Remove(key);
        }
        var type = registry.FindByGrainType(entry.GrainId.Type);
        if (type is null || !type.IsRemindable)
        {
            LogUnknownGrain(_logger, entry.GrainId.Type, entry.GrainId.Key, entry.ReminderName);
            return;
        }
        var schedule = new Schedule(entry);
        _schedules[key] = schedule;
        using (ExecutionContext.SuppressFlow())
            schedule.Loop = Task.Run(() => RunAsync(schedule, type));
    }

    private async Task RunAsync(Schedule schedule, GrainTypeInfo type)
    {
        var entry = schedule.Entry;
        var token = schedule.Token;
        var next = NextTick(entry, entry.LastTickAt, time.GetUtcNow());
        try
        {
            while (!token.IsCancellationRequested)
            {
                await TimeUtil.DelayUntilAsync(next, time, token).ConfigureAwait(false);
                var status = new TickStatus(entry.StartAt, entry.Period, next);
                if (ClaimTicks && !await TryClaimAsync(entry, next, token).ConfigureAwait(false))
                {
                    next = NextTick(entry, next, time.GetUtcNow());
                    continue;
                }
                try
                {
                    await dispatcher.InvokeAsync(entry.GrainId, type, ReceiveReminderMethod, [entry.ReminderName, status]).ConfigureAwait(false);
                }
                catch (Exception ex) when (!token.IsCancellationRequested)
                {
                    LogTickFailed(_logger, ex, entry.GrainId.Type, entry.GrainId.Key, entry.ReminderName);
                }
                try
                {
                    if (!ClaimTicks) await table.RecordTickAsync(entry, next, token).ConfigureAwait(false);
                }
                catch (Exception ex) when (!token.IsCancellationRequested)
                {
                    LogRecordTickFailed(_logger, ex, entry.GrainId.Type, entry.GrainId.Key, entry.ReminderName);
                }
                next = NextTick(entry, next, time.GetUtcNow());
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
    }

    private async Task<bool> TryClaimAsync(ReminderEntry entry, DateTimeOffset tick, CancellationToken token)
    {
        try
        {
            return await table.TryClaimTickAsync(entry, tick, token).ConfigureAwait(false);
        }
        catch (Exception ex) when (!token.IsCancellationRequested)
        {
            // Not claimed, not fired: the next boundary (or another silo) delivers.
            LogRecordTickFailed(_logger, ex, entry.GrainId.Type, entry.GrainId.Key, entry.ReminderName);
            return false;
        }
    }

    /// <summary>The boundary to fire next after <paramref name="lastTick"/> (null: none fired yet). A boundary that
    /// is already past is overdue and fires at once; several overdue boundaries fire once, as the latest of them.</summary>
    internal static DateTimeOffset NextTick(ReminderEntry entry, DateTimeOffset? lastTick, DateTimeOffset now)
    {
        var due = lastTick is { } last && last >= entry.StartAt ? BoundaryAfter(entry, last) : entry.StartAt;
        if (due >= now) return due;
        var periods = (now - entry.StartAt).Ticks / entry.Period.Ticks;
        return entry.StartAt + TimeSpan.FromTicks(periods * entry.Period.Ticks);
    }

    private static DateTimeOffset BoundaryAfter(ReminderEntry entry, DateTimeOffset instant)
    {
        var periods = (instant - entry.StartAt).Ticks / entry.Period.Ticks + 1;
        return entry.StartAt + TimeSpan.FromTicks(periods * entry.Period.Ticks);
    }

    private sealed class Schedule(ReminderEntry entry)
    {
        private readonly CancellationTokenSource _cancellation = new();

        public ReminderEntry Entry { get; } = entry;
        public CancellationToken Token => _cancellation.Token;
        public Task Loop { get; set; } = Task.CompletedTask;

        public void Cancel() => _cancellation.Cancel();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Reminder service started with {Count} reminders")]
    private static partial void LogStarted(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Reminder {ReminderName} of grain {GrainType}/{GrainKey} failed")]
    private static partial void LogTickFailed(ILogger logger, Exception exception, string grainType, string grainKey, string reminderName);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recording the tick of reminder {ReminderName} of grain {GrainType}/{GrainKey} failed")]
    private static partial void LogRecordTickFailed(ILogger logger, Exception exception, string grainType, string grainKey, string reminderName);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reminder {ReminderName} of grain {GrainType}/{GrainKey} is not scheduled: no registered remindable grain class for that type")]
    private static partial void LogUnknownGrain(ILogger logger, string grainType, string grainKey, string reminderName);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telling the owner of reminders of grain {GrainType}/{GrainKey} about a change failed; it catches up at its next refresh")]
    private static partial void LogNotifyFailed(ILogger logger, Exception exception, string grainType, string grainKey);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Re-reading the reminder table failed; keeping the current schedules")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception);
}
