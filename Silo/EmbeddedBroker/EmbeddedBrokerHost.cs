using OrleansConnect.Grains.Worker;
using OrleansConnect.Silo.Hosting;

using OrleansConnect.Grains.Kafka;

namespace OrleansConnect.Silo.EmbeddedBroker;

/// <summary>The embedded broker's life beside the silo: its records come back from the log in data.dir before the grain
/// runtime starts, are saved every <c>embedded.broker.snapshot.interval.ms</c> while the silo serves, and once more after
/// the grain runtime stopped (every task flushed and committed by then). Nothing to do with a configured Kafka.</summary>
public sealed class EmbeddedBrokerHost(
    KafkaCluster cluster,
    ConnectHostSettings settings,
    SiloStopBudget stopBudget,
    IServiceProvider services,
    IHostApplicationLifetime lifetime,
    ILogger<EmbeddedBrokerHost> logger) : IHostedService
{
    private readonly CancellationTokenSource _stopSaving = new();
    private EmbeddedBrokerLog? _log;
    private Task _periodicSaves = Task.CompletedTask;
    private volatile bool _served;
    private int _stopped;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (cluster.Embedded is not { } broker) return;
        try
        {
            _log = await EmbeddedBrokerLog.OpenAsync(broker, settings.DataDir,
                new EmbeddedBrokerLogOptions { OffsetTopics = [settings.Worker.GetString(WorkerConfig.OffsetStorageTopic)!] }, logger, cancellationToken);
        }
        catch (InvalidDataException e)
        {
            throw new StartupException($"Cannot restore the embedded Kafka broker: {e.Message}", e);
        }
        var interval = TimeSpan.FromMilliseconds(settings.Worker.GetLong(WorkerConfig.EmbeddedBrokerSnapshotInterval));
        lifetime.ApplicationStarted.Register(() =>
        {
            _served = true;
            if (interval <= TimeSpan.Zero) return;
            var worker = services.GetRequiredService<ConnectWorker>();
            _periodicSaves = _log.RunAsync(() => worker.ConsumerGroups, interval, _stopSaving.Token);
        });
    }

    /// <summary>The last save, bounded by what is left of the stop budget so the process still exits inside the grace
    /// period; a save cut short leaves the log as the last periodic save left it. Runs once; also called directly when
    /// the grain runtime did not stop in time.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1 || _log is null) return;
        await _stopSaving.CancelAsync();
        await _periodicSaves;
        if (_served)
        {
            try
            {
                var left = stopBudget.Left();
                using var saveTimeout = new CancellationTokenSource(left > TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1));
                var saved = await _log.SaveAsync(services.GetRequiredService<ConnectWorker>().ConsumerGroups, saveTimeout.Token);
                logger.LogInformation("Saved the embedded Kafka broker to {Path}: {Topics} topics, {Records} records appended of {PartitionsRead} partitions, {GroupOffsets} group offsets changed, in {Elapsed} ms",
                    Path.Combine(settings.DataDir, EmbeddedBrokerLog.FileName), saved.Topics, saved.Records, saved.PartitionsRead, saved.GroupOffsets, (long)saved.Elapsed.TotalMilliseconds);
                // A stop is a good moment to drop what the broker no longer holds, if that is a fair share of the file.
                await _log.CompactIfWorthwhileAsync(1 << 20, saveTimeout.Token);
            }
            catch (Exception e)
            {
                logger.LogError(e, "Could not save the embedded Kafka broker at stop; the next start restores what the last periodic save held");
            }
        }
        // Not served: nothing ran on the broker since its restore, so the log it came from still holds its state.
        await ReleaseAsync();
    }

    /// <summary>Closes the log, then the broker (the log's clients talk to it).</summary>
    public async Task ReleaseAsync()
    {
        if (_log is not null) await _log.DisposeAsync();
        cluster.Dispose();
    }
}
