using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrleansConnect.Grains.Interfaces;
using OrleansConnect.Grains.Worker;
using Orleans;
using OrleansConnect.Silo.Configuration;

namespace OrleansConnect.Silo.Hosting;

/// <summary>Once the grain runtime runs: wakes every known connector (so its tasks resume at once instead of
/// at the next reminder tick), then creates or updates the connectors named on the command line.</summary>
public sealed class ConnectorBootstrapper(
    IGrainFactory grains,
    WorkerInfo workerInfo,
    ConnectWorker worker,
    IReadOnlyList<ConnectorConfigFile> connectorFiles,
    ILogger<ConnectorBootstrapper> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var names = await grains.GetGrain<IConnectorRegistryGrain>(workerInfo.GroupId).List();
        foreach (var name in names)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var connector = grains.GetGrain<IConnectorGrain>(name);
                if (await connector.Exists() && await connector.GetInfo() is { Type: "sink" } info)
                    worker.RegisterConsumerGroup(WorkerSinkTask.GroupIdOf(name, info.Config));
            }
            catch (Exception e)
            {
                logger.LogError(e, "Connector {Connector} could not be resumed; its reminder will try again", name);
            }
        }
        foreach (var file in connectorFiles)
        {
            var result = await grains.GetGrain<IConnectorGrain>(file.Name).PutConfig(file.Config, allowReplace: true, initialState: null);
            logger.LogInformation("Connector {Connector} {Action} from the command line", file.Name, result.Created ? "created" : "updated");
        }
        workerInfo.MarkReady();
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
