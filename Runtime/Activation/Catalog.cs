using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrleansConnect.Runtime.GrainDirectory;
using OrleansConnect.Runtime.GrainTypes;
using OrleansConnect.Runtime.Hosting;
using OrleansConnect.Runtime.Reminders;
using OrleansConnect.Runtime.Timers;

namespace OrleansConnect.Runtime.Activation;

/// <summary>This silo's activations, at most one per grain id; creates them on demand, collects idle ones and
/// deactivates them all at shutdown.</summary>
internal sealed partial class Catalog
{
    private readonly ConcurrentDictionary<GrainId, ActivationData> _activations = new();
    private readonly object _createLock = new();
    private readonly SiloStatus _status;
    private readonly ILogger _logger;
    private readonly Lazy<IGrainFactory> _grainFactory;
    private readonly Lazy<ReminderRegistry> _reminders;
    private CancellationTokenSource? _collectorStop;
    private Task _collector = Task.CompletedTask;

    public Catalog(GrainRuntimeOptions options, SiloStatus status, IGrainDirectory directory, TimeProvider time,
        RuntimeLogging logging, IServiceProvider services)
    {
        Options = options;
        _status = status;
        Directory = directory;
        Time = time;
        Logging = logging;
        Services = services;
        _logger = logging.CreateLogger<Catalog>();
        // Resolved late: they depend (through the call path) on the catalog itself.
        _grainFactory = new Lazy<IGrainFactory>(services.GetRequiredService<IGrainFactory>);
        _reminders = new Lazy<ReminderRegistry>(services.GetRequiredService<ReminderRegistry>);
    }

    public GrainRuntimeOptions Options { get; }
    public IGrainDirectory Directory { get; }
    public TimeProvider Time { get; }
    public RuntimeLogging Logging { get; }
    public IServiceProvider Services { get; }
    public IGrainFactory GrainFactory => _grainFactory.Value;
    public ReminderRegistry Reminders => _reminders.Value;

    public int ActivationCount => _activations.Count;

    /// <summary>Activations per grain type (reported with heartbeats; placement balances on it).</summary>
    public Dictionary<string, int> ActivationCountsByType()
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var grainId in _activations.Keys) counts[grainId.Type] = counts.GetValueOrDefault(grainId.Type) + 1;
        return counts;
    }

    /// <summary>The grains active here now.</summary>
    public IReadOnlyList<ActivationData> Snapshot()
    {
        lock (_createLock) return [.. _activations.Values];
    }

    public ActivationData? TryGet(GrainId grainId) => _activations.TryGetValue(grainId, out var activation) ? activation : null;

    public ActivationData GetOrCreate(GrainId grainId, GrainTypeInfo type)
    {
        ActivationData activation;
        lock (_createLock)
        {
            if (_activations.TryGetValue(grainId, out var existing)) return existing;
            if (_status.Phase != SiloPhase.Running)
                throw new InvalidOperationException(_status.Phase is SiloPhase.Stopping or SiloPhase.Stopped
                    ? $"Cannot activate grain {grainId}: silo {Options.SiloId} is shutting down."
                    : $"Cannot activate grain {grainId}: silo {Options.SiloId} has not started.");
            activation = new ActivationData(grainId, type, this);
            _activations[grainId] = activation;
        }
        activation.Start();
        return activation;
    }

    public void Remove(ActivationData activation) =>
        _activations.TryRemove(new KeyValuePair<GrainId, ActivationData>(activation.GrainId, activation));

    public void StartCollector()
    {
        if (Options.CollectionAge == Timeout.InfiniteTimeSpan) return;
        _collectorStop = new CancellationTokenSource();
        var token = _collectorStop.Token;
        using (ExecutionContext.SuppressFlow())
            _collector = Task.Run(() => CollectAsync(token));
    }

    public async Task StopCollectorAsync()
    {
        if (_collectorStop is null) return;
        await _collectorStop.CancelAsync().ConfigureAwait(false);
        await _collector.ConfigureAwait(false);
    }

    private async Task CollectAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await TimeUtil.DelayAsync(Options.CollectionQuantum, Time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            try
            {
                var now = Time.GetUtcNow();
                var collected = _activations.Values.Count(a => a.TryCollectIfIdle(now, Options.CollectionAge));
                if (collected > 0) LogCollected(_logger, collected, Options.CollectionAge);
            }
            catch (Exception ex)
            {
                LogCollectionFailed(_logger, ex);
            }
        }
    }

    /// <summary>Deactivates every activation in parallel; gives up waiting after <paramref name="timeout"/>.</summary>
    public async Task DeactivateAllAsync(DeactivationReason reason, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ActivationData[] all;
        lock (_createLock) all = [.. _activations.Values];
        if (all.Length == 0) return;
        var pending = all.Select(a => a.RequestDeactivation(reason)).ToArray();
        try
        {
            await Task.WhenAll(pending).WaitAsync(timeout, Time, cancellationToken).ConfigureAwait(false);
            LogDeactivatedAll(_logger, all.Length);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            var stuck = all.Where(a => !a.Deactivated.IsCompleted).Select(a => a.GrainId.ToString()).ToList();
            LogShutdownIncomplete(_logger, stuck.Count, timeout, string.Join(", ", stuck.Take(20)));
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Collected {Count} activations idle for {CollectionAge}")]
    private static partial void LogCollected(ILogger logger, int count, TimeSpan collectionAge);

    [LoggerMessage(Level = LogLevel.Error, Message = "Idle collection failed; trying again next quantum")]
    private static partial void LogCollectionFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deactivated {Count} activations")]
    private static partial void LogDeactivatedAll(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} activations did not deactivate within {Timeout}: {Grains}")]
    private static partial void LogShutdownIncomplete(ILogger logger, int count, TimeSpan timeout, string grains);
}
