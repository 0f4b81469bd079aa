using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrleansConnect.Runtime.Activation;
using OrleansConnect.Runtime.AdoNet;
using OrleansConnect.Runtime.Cluster;
using OrleansConnect.Runtime.GrainTypes;
using OrleansConnect.Runtime.Hosting;
using OrleansConnect.Runtime.Reminders;

namespace OrleansConnect.Runtime;

/// <summary>The silo as a hosted service: on start it creates/migrates the database schema and starts the idle
/// collector and the reminder service; on stop it stops reminders and deactivates every activation
/// (OnDeactivateAsync with <see cref="DeactivationReasonCode.ShuttingDown"/>, in parallel, bounded by
/// <see cref="GrainRuntimeOptions.ShutdownTimeout"/>). A silo runs once: start, then stop.</summary>
public sealed partial class Silo : IHostedService
{
    private readonly GrainRuntimeOptions _options;
    private readonly SiloStatus _status;
    private readonly AdoNetDatabase _database;
    private readonly GrainTypeRegistry _registry;
    private readonly Catalog _catalog;
    private readonly LocalReminderService _reminders;
    private readonly ClusterAgent? _cluster;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _transition = new(1, 1);

    internal Silo(GrainRuntimeOptions options, SiloStatus status, AdoNetDatabase database, GrainTypeRegistry registry,
        Catalog catalog, LocalReminderService reminders, RuntimeLogging logging, ClusterAgent? cluster = null)
    {
        _cluster = cluster;
        _options = options;
        _status = status;
        _database = database;
        _registry = registry;
        _catalog = catalog;
        _reminders = reminders;
        _logger = logging.CreateLogger<Silo>();
    }

    public string SiloId => _options.SiloId;

    public string ServiceId => _options.ServiceId;

    /// <summary>True between a completed start and the beginning of stop: grain calls are served.</summary>
    public bool IsRunning => _status.Phase == SiloPhase.Running;

    /// <summary>Number of activations on this silo now.</summary>
    public int ActivationCount => _catalog.ActivationCount;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _transition.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_status.Phase != SiloPhase.Created)
                throw new InvalidOperationException($"Silo {SiloId} was already started; a silo runs once (create a new one to restart).");
            _status.Phase = SiloPhase.Starting;
            try
            {
                await _database.EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
                var grainInterfaces = _registry.GrainInterfaces.Count;
                if (_cluster is not null) await _cluster.StartAsync(cancellationToken).ConfigureAwait(false);
                _status.Phase = SiloPhase.Running;
                _catalog.StartCollector();
                await _reminders.StartAsync(cancellationToken).ConfigureAwait(false);
                if (_cluster is not null) await _cluster.ActivateAsync(cancellationToken).ConfigureAwait(false);
                LogStarted(_logger, SiloId, ServiceId, _database.Dialect.Name, grainInterfaces);
            }
            catch
            {
                _status.Phase = SiloPhase.Stopped;
                await _catalog.StopCollectorAsync().ConfigureAwait(false);
                if (_cluster is not null)
                {
                    await _reminders.StopAsync(CancellationToken.None).ConfigureAwait(false);
                    await _cluster.CompleteStopAsync([], CancellationToken.None).ConfigureAwait(false);
                }
                throw;
            }
        }
        finally
        {
            _transition.Release();
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _transition.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            if (_status.Phase != SiloPhase.Running) return;
            // In a cluster: ShuttingDown first, so no silo places new grains here while they are deactivated.
            var handOver = _cluster is null ? [] : await _cluster.BeginStopAsync(cancellationToken).ConfigureAwait(false);
            _status.Phase = SiloPhase.Stopping;
            LogStopping(_logger, SiloId, _catalog.ActivationCount);
            await _reminders.StopAsync(cancellationToken).ConfigureAwait(false);
            await _catalog.StopCollectorAsync().ConfigureAwait(false);
            await _catalog.DeactivateAllAsync(
                new DeactivationReason(DeactivationReasonCode.ShuttingDown, $"Silo {SiloId} is stopping."),
                _options.ShutdownTimeout, cancellationToken).ConfigureAwait(false);
            if (_cluster is not null) await _cluster.CompleteStopAsync(handOver, cancellationToken).ConfigureAwait(false);
            _status.Phase = SiloPhase.Stopped;
            LogStopped(_logger, SiloId);
        }
        finally
        {
            _transition.Release();
        }
    }

    /// <summary>Test hook: the silo "crashes" (no heartbeats, endpoint closed, nothing cleaned up).</summary>
    internal Task SimulateCrashAsync() =>
        _cluster?.SimulateCrashAsync() ?? throw new InvalidOperationException("Only a clustered silo can simulate a crash.");

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo {SiloId} of service {ServiceId} started ({StorageProvider} storage, {GrainInterfaceCount} grain interfaces)")]
    private static partial void LogStarted(ILogger logger, string siloId, string serviceId, string storageProvider, int grainInterfaceCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo {SiloId} stopping; deactivating {ActivationCount} activations")]
    private static partial void LogStopping(ILogger logger, string siloId, int activationCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo {SiloId} stopped")]
    private static partial void LogStopped(ILogger logger, string siloId);
}
