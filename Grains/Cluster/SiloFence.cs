using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;
using OrleansConnect.Grains.Worker;

namespace OrleansConnect.Grains.Cluster;

/// <summary>Fencing of zombie task loops, one check per silo. A silo paused or cut off past the death timeout keeps
/// running its loops until it learns it was declared dead, while replacements already run elsewhere. Orleans' membership
/// table is the authority on who is dead, so this silo reads its own row there (one small read per refresh period, while
/// it runs tasks, however many) and lets its loops commit only while the last read that found it alive is younger than
/// <see cref="Validity"/>, half the death timeout. A silo cannot be declared dead sooner than a death timeout after it
/// stopped answering, and every read starts while it still runs, so a loop that resumes after a pause long enough to be
/// replaced always finds its confirmation expired and must read again, and that read finds it dead. Costs nothing per
/// task: the per-commit check is a clock comparison, and a read is shared by every loop waiting on it.</summary>
public sealed class SiloFence : ILifecycleParticipant<ISiloLifecycle>, ITaskFence, IDisposable
{
    private readonly IMembershipTable _table;
    private readonly SiloAddress _self;
    private readonly LocalTasks _localTasks;
    private readonly ILogger<SiloFence> _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _fenced = new();
    private readonly Lock _gate = new();
    private readonly long _validityMs;
    private readonly TimeSpan _refreshPeriod;
    // Environment.TickCount64 (monotonic: it keeps counting while the process is stopped) at the start of the last read
    // that found this silo alive.
    private long _confirmedAt = long.MinValue / 2;
    private Task? _reading;
    private Task? _refresher;
    private int _failedReads;

    public SiloFence(IMembershipTable table, ILocalSiloDetails localSilo, LocalTasks localTasks, ConnectWorker worker, ILogger<SiloFence> logger)
        : this(table, localSilo.SiloAddress, localTasks, TimeSpan.FromMilliseconds(worker.Config.GetLong(WorkerConfig.MembershipProbePeriod)),
            TimeSpan.FromMilliseconds(worker.Config.GetLong(WorkerConfig.SiloDeathTimeout)), logger)
    {
    }

    public SiloFence(IMembershipTable table, SiloAddress self, LocalTasks localTasks, TimeSpan probePeriod, TimeSpan deathTimeout, ILogger<SiloFence> logger)
    {
        _table = table;
        _self = self;
        _localTasks = localTasks;
        _logger = logger;
        _validityMs = Math.Max(1, (long)(deathTimeout.TotalMilliseconds / 2));
        // Refreshed well within the validity, so a commit rarely has to wait for a read of its own.
        _refreshPeriod = TimeSpan.FromMilliseconds(Math.Max(50, Math.Min(probePeriod.TotalMilliseconds, _validityMs / 2.0)));
    }

    /// <summary>How long a read that found this silo alive lets its loops commit.</summary>
    public TimeSpan Validity => TimeSpan.FromMilliseconds(_validityMs);

    public bool IsDeclaredDead => _fenced.IsCancellationRequested;

    /// <summary>Cancelled once this silo read itself declared dead: its task loops stop at once.</summary>
    public CancellationToken Fenced => _fenced.Token;

    /// <summary>True while a read that started less than <see cref="Validity"/> ago found this silo alive.</summary>
    public bool IsConfirmed => !_fenced.IsCancellationRequested && Environment.TickCount64 - Volatile.Read(ref _confirmedAt) < _validityMs;

    /// <summary>May this silo's task loops commit now? Reads the membership table only when the last confirmation
    /// expired, sharing the read with every loop that asks meanwhile.</summary>
    public async Task<bool> IsCurrentAsync(CancellationToken cancellationToken)
    {
        if (IsConfirmed) return true;
        if (_fenced.IsCancellationRequested) return false;
        await ReadShared().WaitAsync(cancellationToken);
        // Checked again after the await: the process may have been stopped while the read was under way.
        return IsConfirmed;
    }

    public void Participate(ISiloLifecycle lifecycle) => lifecycle.Subscribe(
        nameof(SiloFence), ServiceLifecycleStage.Active,
        _ => { _refresher = Task.Run(() => RefreshAsync(_stopping.Token)); return Task.CompletedTask; },
        async _ => { await _stopping.CancelAsync(); if (_refresher is not null) await _refresher; });

    /// <summary>Keeps the confirmation fresh while this silo runs tasks; an idle silo reads nothing.</summary>
    private async Task RefreshAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_refreshPeriod);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken) && !_fenced.IsCancellationRequested)
            {
                if (_localTasks.Count == 0) continue;
                await ReadShared().WaitAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { }
    }

    private Task ReadShared()
    {
        lock (_gate)
        {
            if (_reading is null || _reading.IsCompleted) _reading = ReadOnceAsync();
            return _reading;
        }
    }

    /// <summary>Reads this silo's own membership row. Never throws: an unreadable table confirms nothing, so loops
    /// do not commit until it can be read again (what is not committed is redone, never lost).</summary>
    private async Task ReadOnceAsync()
    {
        var started = Environment.TickCount64;
        SiloStatus? status;
        try
        {
            var data = await _table.ReadRowAsync(_self, _stopping.Token);
            status = data.Members.FirstOrDefault(m => m.Item1.SiloAddress.Equals(_self))?.Item1.Status;
        }
        catch (Exception e)
        {
            if (Interlocked.Increment(ref _failedReads) == 1)
                _logger.LogWarning(e, "Could not read this silo's membership row; its tasks commit nothing until it can");
            return;
        }
        if (Interlocked.Exchange(ref _failedReads, 0) > 0)
            _logger.LogInformation("This silo's membership row can be read again; its tasks commit again");
        switch (status)
        {
            case SiloStatus.Active or SiloStatus.ShuttingDown or SiloStatus.Stopping:
                // A slow read may finish after a faster, later one: keep the later start.
                long seen;
                do seen = Volatile.Read(ref _confirmedAt);
                while (started > seen && Interlocked.CompareExchange(ref _confirmedAt, started, seen) != seen);
                break;
            case SiloStatus.Dead:
                if (!_fenced.IsCancellationRequested)
                {
                    _logger.LogWarning("This silo was declared dead by the cluster; stopping its {Count} task loops, which commit nothing more", _localTasks.Count);
                    await _fenced.CancelAsync();
                }
                break;
            default:
                // Not (or no longer) in the table, or still joining: nothing to confirm. An emptied membership store is
                // healed by Orleans re-registering the silo, after which reads confirm again.
                _logger.LogDebug("This silo's membership row says {Status}; not confirming", status?.ToString() ?? "nothing");
                break;
        }
    }

    public void Dispose()
    {
        _stopping.Dispose();
        _fenced.Dispose();
    }
}
