using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans;
using OrleansConnect.Grains.Interfaces;
using OrleansConnect.Grains.Worker;
using OrleansConnect.Silo.Configuration;

namespace OrleansConnect.Silo.Hosting;

/// <summary>Once the REST API listens: lets connectors and tasks start, wakes every known connector (so its tasks
/// resume at once instead of at the next reminder tick), creates or updates the connectors named on the command line,
/// then reports the silo ready on /health. Until the API listens nothing starts, so however many tasks a silo would
/// run, an operator can reach it first.</summary>
public sealed class ConnectorBootstrapper(
    IGrainFactory grains,
    WorkerInfo workerInfo,
    ConnectWorker worker,
    IReadOnlyList<ConnectorConfigFile> connectorFiles,
    IHostApplicationLifetime lifetime,
    ILogger<ConnectorBootstrapper> logger) : IHostedService
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _bootstrap = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() =>
        {
            worker.MarkApiStarted();
            _bootstrap = Task.Run(() => BootstrapAsync(_stopping.Token));
        });
        return Task.CompletedTask;
    }

    private async Task BootstrapAsync(CancellationToken cancellationToken)
    {
        try
        {
            var registry = new ConnectorRegistry(grains, workerInfo.GroupId);
            await registry.MigrateUnshardedAsync();
            var names = await registry.ListAsync();
            // Activating a connector resumes it and its tasks; a few at a time, so thousands wake in seconds.
            await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken },
                async (name, _) =>
                {
                    try
                    {
                        var connector = grains.GetGrain<IConnectorGrain>(name);
                        if (await connector.Exists() && await connector.GetInfo() is { Type: "sink" } info)
                            worker.RegisterConsumerGroup(WorkerSinkTask.GroupIdOf(name, info.Config));
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        logger.LogError(e, "Connector {Connector} could not be resumed; its reminder will try again", name);
                    }
                });
            foreach (var file in connectorFiles)
            {
                cancellationToken.ThrowIfCancellationRequested();
                try
                {
                    var result = await grains.GetGrain<IConnectorGrain>(file.Name).PutConfig(file.Config, allowReplace: true, initialState: null);
                    logger.LogInformation("Connector {Connector} {Action} from the command line", file.Name, result.Created ? "created" : "updated");
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A bad connector file must not leave the silo unready: the REST API can fix or delete the connector.
                    logger.LogError("Connector {Connector} from the command line was refused: {Reason}", file.Name, e.Message);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e)
        {
            logger.LogError(e, "Could not resume the registered connectors; their reminders will");
        }
        workerInfo.MarkReady();
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _bootstrap.WaitAsync(cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
    }
}
