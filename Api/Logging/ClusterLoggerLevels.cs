using Microsoft.Extensions.Logging;
using OrleansConnect.Grains.Interfaces;
using OrleansConnect.Grains.Interfaces.Models;


namespace OrleansConnect.Api.Logging;

/// <summary>This silo's side of the cluster-scoped logger levels kept by <see cref="IClusterLoggersGrain"/>: records a
/// change, and applies the changes recorded after the last version this silo applied, in version order, through
/// <see cref="ILoggerLevels.SetLevel"/> (the path of scope=worker, so last_modified is when this silo applied them).
/// As in Connect, where a worker ignores the logger records written before it finished starting, a silo starts from
/// the version current when it first asks: levels set cluster-wide before it started are not applied to it.</summary>
internal sealed class ClusterLoggerLevels(IGrainFactory grainFactory, ILoggerLevels levels, ILogger<ClusterLoggerLevels> log)
{
    // One catch-up at a time, so changes are applied in version order even when a request and the poller race.
    private readonly SemaphoreSlim _gate = new(1, 1);
    private long? _applied;

    private IClusterLoggersGrain Grain => grainFactory.GetGrain<IClusterLoggersGrain>(IClusterLoggersGrain.Key);

    /// <summary>Records the level for every silo, and applies it here before returning (with any change recorded
    /// elsewhere since the last catch-up, which comes first).</summary>
    public async Task SetLevelAsync(string @namespace, LogLevel level, CancellationToken cancellationToken)
    {
        // Connect's root logger answers to "root" in any case; one spelling keeps one entry per namespace.
        if (string.Equals(@namespace, ILoggerLevels.RootLoggerName, StringComparison.OrdinalIgnoreCase))
            @namespace = ILoggerLevels.RootLoggerName;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            _applied ??= await Grain.Version().WaitAsync(cancellationToken);
            Apply(await Grain.SetLevel(@namespace, Log4jLevels.Name(level), _applied.Value).WaitAsync(cancellationToken));
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Applies the changes recorded since the last catch-up; the first call only learns the current version.</summary>
    public async Task CatchUpAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_applied is not { } applied)
            {
                _applied = await Grain.Version().WaitAsync(cancellationToken);
                ApiLog.ClusterLogLevelsFrom(log, _applied.Value);
                return;
            }
            Apply(await Grain.ChangesSince(applied).WaitAsync(cancellationToken));
        }
        finally
        {
            _gate.Release();
        }
    }

    // Called holding the gate, with _applied set.
    private void Apply(ClusterLoggerChanges changes)
    {
        if (changes.Version < _applied)
            ApiLog.ClusterLogLevelsReset(log, _applied.Value, changes.Version);
        foreach (var change in changes.Changes)
        {
            if (!Log4jLevels.TryParse(change.Level, out var level))
            {
                ApiLog.InvalidClusterLogLevel(log, change.Namespace, change.Level, change.Version);
                continue;
            }
            var affected = levels.SetLevel(change.Namespace, level);
            ApiLog.AppliedClusterLogLevel(log, change.Namespace, Log4jLevels.Name(level), change.Version, affected.Count);
        }
        _applied = changes.Version;
    }
}
