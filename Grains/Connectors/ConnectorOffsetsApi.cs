using Microsoft.Extensions.Logging;
using OrleansConnect.Connect.Connector;
using OrleansConnect.Grains.Config;
using OrleansConnect.Connect.Sink;
using OrleansConnect.Connect.Source;
using OrleansConnect.Grains.Interfaces.Errors;
using OrleansConnect.Grains.Interfaces.Models;
using OrleansConnect.Grains.Plugins;
using OrleansConnect.Grains.Storage;
using OrleansConnect.Grains.Worker;

namespace OrleansConnect.Grains.Connectors;

/// <summary>Connect's offsets API for one connector (KIP-875): a source's offsets in the offsets topic, a sink's in its
/// consumer group. Alter and reset need the connector STOPPED with no tasks (the grain checks); the connector's
/// alterOffsets hook sees the offsets first, on a fresh instance as in Connect.</summary>
internal sealed class ConnectorOffsetsApi(string connector, ConnectWorker worker, ILogger logger)
{
    public async Task<ConnectorOffsets> ReadAsync(IReadOnlyDictionary<string, string> config, IReadOnlyCollection<SinkOffsetPartition> knownSinkPartitions,
        CancellationToken cancellationToken) =>
        worker.Plugins.FindConnector(config.GetValueOrDefault(ConnectorConfig.ConnectorClass, "")) is { Type: PluginType.Sink }
            ? await SinkOffsets(config).ReadAsync(config, knownSinkPartitions, cancellationToken)
            : await new SourceConnectorOffsets(worker.OffsetStore, connector, logger).ReadAsync(cancellationToken);

    /// <summary>Alters (offsets given) or resets (null) the offsets. Returns Connect's message, and for a sink the
    /// partitions its group now has offsets for (kept in grain state, so a later reset finds them).</summary>
    public async Task<(string Message, List<SinkOffsetPartition>? SinkPartitions)> ModifyAsync(IReadOnlyDictionary<string, string> config,
        IReadOnlyList<ConnectorOffset>? offsets, IReadOnlyCollection<SinkOffsetPartition> knownSinkPartitions, CancellationToken cancellationToken)
    {
        var className = config[ConnectorConfig.ConnectorClass];
        var desc = worker.Plugins.FindConnector(className)
            ?? throw new ConnectRestException(500, $"Failed to find any class that implements Connector and which name matches {className}");
        switch (worker.Plugins.Instantiate<Connector>(desc))
        {
            case SinkConnector sink:
                var known = knownSinkPartitions.ToList();
                var message = await SinkOffsets(config).ModifyAsync(sink, config, offsets, known, cancellationToken);
                return (message, known);
            case SourceConnector source:
                return (await new SourceConnectorOffsets(worker.OffsetStore, connector, logger).ModifyAsync(source, config, offsets, cancellationToken), null);
            default:
                throw new ConnectRestException(500, $"{desc.ClassName} is neither a source nor a sink connector");
        }
    }

    /// <summary>The sink's consumer group, with the client settings its tasks' consumers have.</summary>
    private SinkConnectorOffsets SinkOffsets(IReadOnlyDictionary<string, string> config)
    {
        try
        {
            var consumerConfig = WorkerSinkTask.ConsumerConfigOf(worker, connector, config, $"connector-offsets-{connector}");
            return new SinkConnectorOffsets(new ConsumerGroupOffsets(consumerConfig), connector, logger);
        }
        catch (Connect.Errors.ConnectException e)
        {
            throw new ConnectRestException(500, e.Message);
        }
    }
}
