using Microsoft.Extensions.Logging;
using OrleansConnect.Connect.Source;
using OrleansConnect.Grains.Interfaces.Errors;
using OrleansConnect.Grains.Interfaces.Models;
using OrleansConnect.Grains.Offsets;

namespace OrleansConnect.Grains.Connectors;

/// <summary>A source connector's offsets in the offset topic: read to the end, then the connector's partitions;
/// alter and reset write records and tombstones after the connector's alterOffsets hook agreed.</summary>
internal sealed class SourceConnectorOffsets(KafkaOffsetBackingStore store, string connector, ILogger logger)
{
    public async Task<ConnectorOffsets> ReadAsync(CancellationToken cancellationToken)
    {
        await store.ReadToEndAsync(cancellationToken);
        return new ConnectorOffsets(store.OffsetsOf(connector)
            .Select(kv => new ConnectorOffset(new Dictionary<string, object?>(kv.Key), new Dictionary<string, object?>(kv.Value)))
            .ToList());
    }

    /// <summary>Alters (<paramref name="offsets"/> given) or resets (null) the connector's offsets.</summary>
    public async Task<string> ModifyAsync(SourceConnector instance, IReadOnlyDictionary<string, string> config,
        IReadOnlyList<ConnectorOffset>? offsets, CancellationToken cancellationToken)
    {
        var reset = offsets is null;
        await store.ReadToEndAsync(cancellationToken);

        var toWrite = new Dictionary<IReadOnlyDictionary<string, object?>, IReadOnlyDictionary<string, object?>?>(SourcePartitionComparer.Instance);
        if (offsets is null)
        {
            foreach (var partition in store.OffsetsOf(connector).Keys) toWrite[partition] = null;
        }
        else
        {
            // As Connect's map of the request: a partition given twice takes its last offset.
            foreach (var entry in offsets)
            {
                var partition = entry.Partition ?? throw new BadRequestException("Source partitions may not be null");
                ValidateFormat(partition);
                if (entry.Offset is not null) ValidateFormat(entry.Offset);
                toWrite[partition] = entry.Offset;
            }
        }

        bool confirmed;
        try
        {
            confirmed = instance.AlterOffsets(config, toWrite);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            logger.LogWarning(e, "Connector {Connector} refused to modify its offsets", connector);
            throw OffsetsMessages.HookFailed(e, connector, "source");
        }

        if (toWrite.Count > 0)
        {
            try
            {
                await store.WriteAsync(connector, toWrite.ToList(), cancellationToken);
            }
            catch (Exception e) when (e is Confluent.Kafka.KafkaException or TimeoutException)
            {
                throw new ConnectRestException(500, $"Failed to modify offsets for source connector {connector}: {e.Message}");
            }
        }
        logger.LogInformation("Offsets of source connector {Connector} {Action} ({Count} partitions)", connector, reset ? "reset" : "altered", toWrite.Count);
        return OffsetsMessages.Modified(confirmed, reset);
    }

    /// <summary>Connect's OffsetUtils.validateFormat: offsets hold primitive values only (refused with 400 here, a
    /// client's mistake; Connect answers 500).</summary>
    private static void ValidateFormat(IReadOnlyDictionary<string, object?> map)
    {
        foreach (var (key, value) in map)
        {
            var type = value switch
            {
                null or string or bool or long or int or short or sbyte or double or float or byte[] => null,
                System.Collections.IDictionary => "MAP",
                System.Collections.IEnumerable => "ARRAY",
                _ => value.GetType().Name,
            };
            if (type is not null)
                throw new BadRequestException($"Offsets may only contain primitive types as values, but field {key} contains {type}");
        }
    }
}
