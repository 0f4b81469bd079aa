using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OrleansConnect.Api.Logging;

/// <summary>Catches up with the cluster-scoped logger levels every <see cref="ConnectApiOptions.ClusterLoggersPollInterval"/>
/// for as long as the silo runs. A failed poll (the grain's silo just died, storage unreachable) is logged and the
/// next one tries again.</summary>
internal sealed class ClusterLoggerLevelPoller(
    ClusterLoggerLevels clusterLevels,
    IOptions<ConnectApiOptions> options,
    TimeProvider time,
    ILogger<ClusterLoggerLevelPoller> log) : BackgroundService
{
    /// <summary>Learns the current version before the next hosted service starts (the silo reports ready after),
    /// so a level set cluster-wide once this silo answers as ready reaches it.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await clusterLevels.CatchUpAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            ApiLog.ClusterLogLevelsPollFailed(log, e);
        }
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ClusterLoggersPollInterval, time);
        var failing = false;
        try
        {
            do
            {
                try
                {
                    await clusterLevels.CatchUpAsync(stoppingToken);
                    if (failing)
                        ApiLog.ClusterLogLevelsPollRecovered(log);
                    failing = false;
                }
                catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    // Every second while the cause lasts: a warning once, then quietly until it works again.
                    if (failing)
                        ApiLog.ClusterLogLevelsPollStillFailing(log, e.Message);
                    else
                        ApiLog.ClusterLogLevelsPollFailed(log, e);
                    failing = true;
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The silo is stopping.
        }
    }
}
