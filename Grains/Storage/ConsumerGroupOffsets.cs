using System.Text.RegularExpressions;
using Confluent.Kafka;
using ErrorCode = Confluent.Kafka.ErrorCode;
using OrleansConnect.Grains.Kafka;
using SinkTopicPartition = OrleansConnect.Connect.Sink.TopicPartition;

namespace OrleansConnect.Grains.Storage;

/// <summary>A sink connector's offsets: the committed offsets of its consumer group, read and written with a
/// consumer of that group (Confluent.Kafka 1.9.3 has no admin calls for group offsets). Writes are refused while the
/// group has members, as Kafka's admin client is refused then, so that the caller reports Connect's "tasks haven't
/// stopped completely yet"; Connect's "STOPPED first" rule makes that rare.</summary>
public sealed class ConsumerGroupOffsets(IReadOnlyDictionary<string, string> consumerConfig)
{
    // Grain calls are bounded (30 s): every step here stays well within that.
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(20);

    public string GroupId => consumerConfig["group.id"];

    /// <summary>The partitions of the topics a sink consumes: the topics list, or every topic of the cluster the
    /// topics.regex matches (as a whole name, like Java's Matcher.matches). Missing topics have no partitions.</summary>
    public Task<List<SinkTopicPartition>> SubscribedPartitionsAsync(IReadOnlyCollection<string> topics, string? topicsRegex,
        CancellationToken cancellationToken) =>
        KafkaBlocking.Run(() =>
        {
            using var consumer = Build();
            using var admin = new DependentAdminClientBuilder(consumer.Handle).Build();
            var metadata = admin.GetMetadata(Timeout);
            var regex = string.IsNullOrWhiteSpace(topicsRegex) ? null : new Regex("^(?:" + topicsRegex.Trim() + ")$", RegexOptions.CultureInvariant);
            return metadata.Topics
                .Where(t => t.Error.Code == ErrorCode.NoError && (regex?.IsMatch(t.Topic) ?? topics.Contains(t.Topic)))
                .SelectMany(t => t.Partitions.Select(p => new SinkTopicPartition(t.Topic, p.PartitionId)))
                .ToList();
        }, cancellationToken);

    /// <summary>The group's committed offset of each partition that has one.</summary>
    public Task<Dictionary<SinkTopicPartition, long>> CommittedAsync(IReadOnlyCollection<SinkTopicPartition> partitions,
        CancellationToken cancellationToken)
    {
        if (partitions.Count == 0) return Task.FromResult(new Dictionary<SinkTopicPartition, long>());
        return KafkaBlocking.Run(() =>
        {
            using var consumer = Build();
            try
            {
                var committed = consumer.Committed(partitions.Select(p => new Confluent.Kafka.TopicPartition(p.Topic, p.Partition)), Timeout);
                return committed
                    .Where(c => c.Offset.Value >= 0)
                    .ToDictionary(c => new SinkTopicPartition(c.Topic, c.Partition.Value), c => c.Offset.Value);
            }
            finally
            {
                consumer.Close();
            }
        }, cancellationToken);
    }

    /// <summary>Commits offsets for the group. Refused with <see cref="ErrorCode.UnknownMemberId"/> (as the broker
    /// refuses a commit from outside a group with members) while the group has members.</summary>
    public Task CommitAsync(IReadOnlyDictionary<SinkTopicPartition, long> offsets, CancellationToken cancellationToken)
    {
        if (offsets.Count == 0) return Task.CompletedTask;
        var toCommit = offsets.Select(kv => new TopicPartitionOffset(kv.Key.Topic, kv.Key.Partition, kv.Value)).ToList();
        return KafkaBlocking.Run(() =>
        {
            bool? empty;
            using (var consumer = Build())
            {
                empty = IsGroupEmpty(consumer);
                if (empty == false)
                    throw new KafkaException(new Error(ErrorCode.UnknownMemberId, $"The consumer group {GroupId} has active members."));
                try
                {
                    consumer.Commit(toCommit);
                    return;
                }
                catch (KafkaException e) when (empty is null && IsMembershipError(e))
                {
                    // The broker could not say whether the group is empty and refuses commits from outside a group it
                    // knows: the embedded broker does both, and keeps a member that left until its session times out.
                    // Commit as a member; joining waits for such a member to expire.
                }
                finally
                {
                    consumer.Close();
                }
            }
            CommitAsMember(toCommit, cancellationToken);
        }, cancellationToken);
    }

    /// <summary>True/false when the broker describes the group; null when it cannot.</summary>
    private bool? IsGroupEmpty(IConsumer<byte[]?, byte[]?> consumer)
    {
        try
        {
            using var admin = new DependentAdminClientBuilder(consumer.Handle).Build();
            var group = admin.ListGroup(GroupId, Timeout);
            return group is null || group.Members.Count == 0;
        }
        catch (KafkaException)
        {
            return null;
        }
    }

    private static bool IsMembershipError(KafkaException e) =>
        (e is TopicPartitionOffsetException partitions ? partitions.Results.Select(r => r.Error.Code).Append(e.Error.Code) : [e.Error.Code])
        .Any(c => c is ErrorCode.UnknownMemberId or ErrorCode.IllegalGeneration);

    /// <summary>Joins the group (subscribing to the offsets' topics), commits once the group assigned this member,
    /// and leaves. Used only while the connector's tasks are stopped, so nobody else is in the group.</summary>
    private void CommitAsMember(List<TopicPartitionOffset> offsets, CancellationToken cancellationToken)
    {
        var joined = false;
        var config = new Dictionary<string, string>(consumerConfig)
        {
            ["enable.auto.commit"] = "false",
            ["enable.auto.offset.store"] = "false",
        };
        var consumer = KafkaClients.BuildConsumer(config, onAssigned: (_, _) => joined = true);
        try
        {
            consumer.Subscribe(offsets.Select(o => o.Topic).Distinct());
            var deadline = DateTime.UtcNow + JoinTimeout;
            while (!joined)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (DateTime.UtcNow > deadline)
                    throw new KafkaException(new Error(ErrorCode.RebalanceInProgress, $"Could not join the consumer group {GroupId} to commit its offsets."));
                consumer.Consume(TimeSpan.FromMilliseconds(100));
            }
            consumer.Commit(offsets);
        }
        finally
        {
            consumer.Close();
            consumer.Dispose();
        }
    }

    /// <summary>Where a consumer of the group starts in a partition without a committed offset: the log start
    /// (auto.offset.reset earliest, Connect's default for sinks) or the log end (latest).</summary>
    public Task<Dictionary<SinkTopicPartition, long>> ResetPositionsAsync(IReadOnlyCollection<SinkTopicPartition> partitions,
        CancellationToken cancellationToken)
    {
        var latest = consumerConfig.TryGetValue("auto.offset.reset", out var reset)
            && reset.Trim().ToLowerInvariant() is "latest" or "largest" or "end";
        return KafkaBlocking.Run(() =>
        {
            using var consumer = Build();
            try
            {
                return partitions.ToDictionary(p => p, p =>
                {
                    var marks = consumer.QueryWatermarkOffsets(new Confluent.Kafka.TopicPartition(p.Topic, p.Partition), Timeout);
                    return latest ? marks.High.Value : marks.Low.Value;
                });
            }
            finally
            {
                consumer.Close();
            }
        }, cancellationToken);
    }

    private IConsumer<byte[]?, byte[]?> Build() => KafkaClients.BuildConsumer(new Dictionary<string, string>(consumerConfig)
    {
        ["enable.auto.commit"] = "false",
        ["enable.auto.offset.store"] = "false",
    });
}
