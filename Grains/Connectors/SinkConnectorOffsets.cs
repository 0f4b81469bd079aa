using System.Globalization;
using Confluent.Kafka;
using ErrorCode = Confluent.Kafka.ErrorCode;
using Microsoft.Extensions.Logging;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Sink;
using OrleansConnect.Grains.Config;
using OrleansConnect.Grains.Interfaces.Errors;
using OrleansConnect.Grains.Interfaces.Models;
using OrleansConnect.Grains.Kafka;
using OrleansConnect.Grains.Offsets;
using SinkTopicPartition = OrleansConnect.Connect.Sink.TopicPartition;

namespace OrleansConnect.Grains.Connectors;

/// <summary>A sink connector's offsets: its consumer group's committed offsets, in Connect's format
/// {"kafka_topic", "kafka_partition"} → {"kafka_offset"}, written as Kafka Connect writes them: alter with
/// AlterConsumerGroupOffsets, a null offset with OffsetDelete, a reset with DeleteGroups.
/// <para>A broker that lacks one of these APIs (by its ApiVersions answer; the embedded broker lacks all three) gets a
/// fallback with the same result through the REST API. Alter commits as a member of the group. Removing an offset
/// commits the position the group's consumer would start from without one (auto.offset.reset: the log start by default,
/// the log end for "latest"), and the connector remembers that commit as a removal: GET leaves the partition out until
/// the connector's tasks commit another offset there.</para></summary>
internal sealed class SinkConnectorOffsets(ConsumerGroupOffsets group, string connector, ILogger logger)
{
    public const string TopicKey = "kafka_topic";
    public const string PartitionKey = "kafka_partition";
    public const string OffsetKey = "kafka_offset";

    /// <summary>The committed offsets of the subscribed topics' partitions and of partitions altered through the API,
    /// without the ones removed, sorted by topic and partition.</summary>
    public async Task<ConnectorOffsets> ReadAsync(IReadOnlyDictionary<string, string> config, IReadOnlyCollection<SinkOffsetPartition> known,
        CancellationToken cancellationToken)
    {
        var visible = await VisibleAsync(config, known, cancellationToken);
        return new ConnectorOffsets(visible
            .OrderBy(kv => kv.Key.Topic, StringComparer.Ordinal).ThenBy(kv => kv.Key.Partition)
            .Select(kv => new ConnectorOffset(
                new Dictionary<string, object?> { [TopicKey] = kv.Key.Topic, [PartitionKey] = (long)kv.Key.Partition },
                new Dictionary<string, object?> { [OffsetKey] = kv.Value }))
            .ToList());
    }

    /// <summary>Alters (<paramref name="offsets"/> given) or resets (null) the group's offsets; returns Connect's message
    /// and updates <paramref name="known"/> (the partitions the API wrote, with their removal markers).</summary>
    public async Task<string> ModifyAsync(SinkConnector instance, IReadOnlyDictionary<string, string> config,
        IReadOnlyList<ConnectorOffset>? offsets, List<SinkOffsetPartition> known, CancellationToken cancellationToken)
    {
        var reset = offsets is null;
        var toWrite = reset
            ? (await VisibleAsync(config, known, cancellationToken)).ToDictionary(kv => kv.Key, _ => (long?)null)
            : Parse(offsets!);

        bool confirmed;
        try
        {
            confirmed = instance.AlterOffsets(config, toWrite);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            logger.LogWarning(e, "Connector {Connector} refused to modify its offsets", connector);
            throw OffsetsMessages.HookFailed(e, connector, "sink");
        }

        var commits = toWrite.Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key, kv => kv.Value!.Value);
        var removals = toWrite.Where(kv => kv.Value is null).Select(kv => kv.Key).ToList();
        try
        {
            var apis = await group.BrokerApisAsync(cancellationToken);
            bool Supports(short apiKey) => apis?.Supports(apiKey) ?? true;
            Dictionary<SinkTopicPartition, long> removalCommits = [];
            if (reset && Supports(BrokerApiVersions.Keys.DeleteGroups))
            {
                await group.DeleteGroupAsync(cancellationToken);
                known.Clear();
            }
            else if (removals.Count > 0 && Supports(BrokerApiVersions.Keys.OffsetDelete))
            {
                await group.DeleteOffsetsAsync(removals, cancellationToken);
                foreach (var partition in removals) Forget(known, partition);
            }
            else if (removals.Count > 0)
            {
                // Only partitions that have a committed offset have one to remove.
                var committed = await group.CommittedAsync(removals, cancellationToken);
                removalCommits = await group.ResetPositionsAsync(committed.Keys.Where(removals.Contains).ToList(), cancellationToken);
            }

            var toCommit = commits.Concat(removalCommits).ToDictionary(kv => kv.Key, kv => kv.Value);
            // A broker without DescribeGroups cannot tell whether a group is empty, and (the embedded one) refuses a
            // commit from outside the group: commit as a member there.
            if (Supports(BrokerApiVersions.Keys.DescribeGroups)) await group.AlterAsync(toCommit, cancellationToken);
            else await group.CommitAsMemberAsync(toCommit, cancellationToken);
            foreach (var partition in commits.Keys) Remember(known, partition, removedAt: null);
            foreach (var (partition, offset) in removalCommits) Remember(known, partition, removedAt: offset);
        }
        catch (KafkaException e)
        {
            logger.LogWarning(e, "Could not write the consumer group offsets of sink connector {Connector}", connector);
            throw CommitFailed(e, reset);
        }

        logger.LogInformation("Offsets of sink connector {Connector} {Action} ({Count} partitions, group {Group})",
            connector, reset ? "reset" : "altered", toWrite.Count, group.GroupId);
        return OffsetsMessages.Modified(confirmed, reset);
    }

    private async Task<Dictionary<SinkTopicPartition, long>> VisibleAsync(IReadOnlyDictionary<string, string> config,
        IReadOnlyCollection<SinkOffsetPartition> known, CancellationToken cancellationToken)
    {
        var topics = TopicCreationGroups.SplitList(config.GetValueOrDefault(ConnectorConfig.Topics));
        var regex = config.GetValueOrDefault(ConnectorConfig.TopicsRegex);
        var partitions = (await group.SubscribedPartitionsAsync(topics, regex, cancellationToken)).ToHashSet();
        foreach (var entry in known) partitions.Add(new SinkTopicPartition(entry.Topic, entry.Partition));
        var committed = await group.CommittedAsync(partitions, cancellationToken);
        foreach (var entry in known)
        {
            var partition = new SinkTopicPartition(entry.Topic, entry.Partition);
            if (entry.RemovedAt is { } removedAt && committed.TryGetValue(partition, out var offset) && offset == removedAt)
                committed.Remove(partition);
        }
        return committed;
    }

    private static void Remember(List<SinkOffsetPartition> known, SinkTopicPartition partition, long? removedAt)
    {
        Forget(known, partition);
        known.Add(new SinkOffsetPartition(partition.Topic, partition.Partition, removedAt));
    }

    private static void Forget(List<SinkOffsetPartition> known, SinkTopicPartition partition) =>
        known.RemoveAll(k => k.Topic == partition.Topic && k.Partition == partition.Partition);

    private ConnectRestException CommitFailed(KafkaException e, bool reset)
    {
        var verb = reset ? "reset" : "alter";
        // Kafka refuses these writes while the group has members (UNKNOWN_MEMBER_ID for a commit from outside,
        // NON_EMPTY_GROUP for a group deletion, GROUP_SUBSCRIBED_TO_TOPIC for an offset deletion).
        if (ConsumerGroupOffsets.ErrorCodesOf(e).Any(c => c is ErrorCode.UnknownMemberId or ErrorCode.IllegalGeneration
                or ErrorCode.RebalanceInProgress or ErrorCode.NonEmptyGroup or ErrorCode.GroupSubscribedToTopic))
        {
            return new ConnectRestException(500,
                $"Failed to {verb} consumer group offsets for connector {connector} either because its tasks haven't stopped completely yet "
                + $"or the connector was resumed before the request to {verb} its offsets could be successfully completed. If the connector "
                + "is in a stopped state, this operation can be safely retried. If it doesn't eventually succeed, the Connect cluster may "
                + "need to be restarted to get rid of the zombie sink tasks.");
        }
        return new ConnectRestException(500, reset
            ? $"Failed to reset consumer group offsets for sink connector {connector}: {e.Message}"
            : $"Failed to alter consumer group offsets for connector {connector}: {e.Message}");
    }

    /// <summary>Connect's SinkUtils.parseSinkConnectorOffsets, with its messages (all 400). Numbers may be given as JSON
    /// numbers or numeric strings; a partition given twice takes its last offset.</summary>
    public static Dictionary<SinkTopicPartition, long?> Parse(IReadOnlyList<ConnectorOffset> offsets)
    {
        var result = new Dictionary<SinkTopicPartition, long?>();
        foreach (var entry in offsets)
        {
            var partitionMap = entry.Partition
                ?? throw new BadRequestException("The partition for a sink connector offset cannot be null or missing");
            if (!partitionMap.TryGetValue(TopicKey, out var topicValue) || !partitionMap.TryGetValue(PartitionKey, out var partitionValue))
                throw new BadRequestException($"The partition for a sink connector offset must contain the keys '{TopicKey}' and '{PartitionKey}'");
            if (topicValue is null)
                throw new BadRequestException("Kafka topic names must be valid strings and may not be null");
            if (partitionValue is null)
                throw new BadRequestException("Kafka partitions must be valid numbers and may not be null");
            if (!int.TryParse(Values.ToJavaString(partitionValue), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var partition))
            {
                throw new BadRequestException($"Failed to parse the following Kafka partition value in the provided offsets: "
                    + $"'{Values.ToJavaString(partitionValue)}'. Partition values for sink connectors need to be integers.");
            }
            var topicPartition = new SinkTopicPartition(Values.ToJavaString(topicValue), partition);

            if (entry.Offset is not { } offsetMap)
            {
                result[topicPartition] = null;
                continue;
            }
            if (!offsetMap.TryGetValue(OffsetKey, out var offsetValue))
                throw new BadRequestException($"The offset for a sink connector should either be null or contain the key '{OffsetKey}'");
            if (!long.TryParse(Values.ToJavaString(offsetValue), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var offset))
            {
                throw new BadRequestException($"Failed to parse the following Kafka offset value in the provided offsets: "
                    + $"'{Values.ToJavaString(offsetValue)}'. Offset values for sink connectors need to be integers.");
            }
            if (offset < 0)
                throw new BadRequestException($"Invalid negative offset {offset} for {topicPartition}: offsets of sink connectors are positions in a partition.");
            result[topicPartition] = offset;
        }
        return result;
    }
}

/// <summary>A partition whose committed offset the offsets API wrote; RemovedAt is the offset committed in place of a
/// removal (null when the offset was set to a value).</summary>
public sealed record SinkOffsetPartition(string Topic, int Partition, long? RemovedAt);
