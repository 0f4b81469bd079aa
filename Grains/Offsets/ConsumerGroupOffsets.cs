using System.Text.RegularExpressions;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using ErrorCode = Confluent.Kafka.ErrorCode;
using OrleansConnect.Grains.Kafka;
using SinkTopicPartition = OrleansConnect.Connect.Sink.TopicPartition;

namespace OrleansConnect.Grains.Offsets;

/// <summary>A sink connector's offsets: the committed offsets of its consumer group, through Kafka's admin calls as
/// Kafka Connect makes them (list, alter, delete offsets, delete the group). A broker that lacks an API (by its
/// ApiVersions answer: the embedded broker has no DescribeGroups, OffsetDelete or DeleteGroups, and refuses commits
/// from outside a group) gets the fallback the caller chooses, built on a commit as a member of the group.</summary>
public sealed class ConsumerGroupOffsets(IReadOnlyDictionary<string, string> consumerConfig)
{
    // Grain calls are bounded (30 s): every step here stays well within that.
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(20);

    public string GroupId => consumerConfig["group.id"];

    /// <summary>Which APIs the group's broker supports; null when it could not be asked (then: all of them).</summary>
    public Task<BrokerApiVersions?> BrokerApisAsync(CancellationToken cancellationToken) =>
        BrokerApiVersions.FetchAsync(consumerConfig["bootstrap.servers"], consumerConfig.GetValueOrDefault("security.protocol"),
            TimeSpan.FromSeconds(5), cancellationToken);

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

    /// <summary>The group's committed offsets: every partition the broker lists for the group, and each of
    /// <paramref name="partitions"/> that has one (a broker that cannot list a whole group answers those).</summary>
    public async Task<Dictionary<SinkTopicPartition, long>> CommittedAsync(IReadOnlyCollection<SinkTopicPartition> partitions,
        CancellationToken cancellationToken)
    {
        var requests = new List<ConsumerGroupTopicPartitions> { new(GroupId, null) };
        if (partitions.Count > 0)
            requests.Add(new ConsumerGroupTopicPartitions(GroupId, partitions.Select(p => new Confluent.Kafka.TopicPartition(p.Topic, p.Partition)).ToList()));
        var committed = new Dictionary<SinkTopicPartition, long>();
        await WithAdminAsync(async admin =>
        {
            // One group per request: librdkafka lists one group's offsets at a time.
            foreach (var request in requests)
            {
                var results = await admin.ListConsumerGroupOffsetsAsync([request], new ListConsumerGroupOffsetsOptions { RequestTimeout = Timeout })
                    .WaitAsync(cancellationToken);
                foreach (var offset in results.SelectMany(r => r.Partitions))
                    if (offset.Error.Code == ErrorCode.NoError && offset.Offset.Value >= 0)
                        committed[new SinkTopicPartition(offset.Topic, offset.Partition.Value)] = offset.Offset.Value;
            }
        }, cancellationToken);
        return committed;
    }

    /// <summary>Kafka's alterConsumerGroupOffsets: refused while the group has members.</summary>
    public Task AlterAsync(IReadOnlyDictionary<SinkTopicPartition, long> offsets, CancellationToken cancellationToken)
    {
        if (offsets.Count == 0) return Task.CompletedTask;
        var toCommit = offsets.Select(kv => new TopicPartitionOffset(kv.Key.Topic, kv.Key.Partition, kv.Value)).ToList();
        return WithAdminAsync(admin => admin.AlterConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitionOffsets(GroupId, toCommit)],
            new AlterConsumerGroupOffsetsOptions { RequestTimeout = Timeout }).WaitAsync(cancellationToken), cancellationToken);
    }

    /// <summary>Kafka's deleteConsumerGroupOffsets (OffsetDelete): refused for a topic the group's members consume.</summary>
    public Task DeleteOffsetsAsync(IReadOnlyCollection<SinkTopicPartition> partitions, CancellationToken cancellationToken)
    {
        if (partitions.Count == 0) return Task.CompletedTask;
        return WithAdminAsync(admin => admin.DeleteConsumerGroupOffsetsAsync(GroupId,
            partitions.Select(p => new Confluent.Kafka.TopicPartition(p.Topic, p.Partition)).ToList(),
            new DeleteConsumerGroupOffsetsOptions { RequestTimeout = Timeout }).WaitAsync(cancellationToken), cancellationToken);
    }

    /// <summary>Kafka's deleteConsumerGroups: removes the group with all its offsets; refused while it has members. A
    /// group that does not exist has nothing to remove.</summary>
    public Task DeleteGroupAsync(CancellationToken cancellationToken) =>
        WithAdminAsync(async admin =>
        {
            try
            {
                await admin.DeleteGroupsAsync([GroupId], new DeleteGroupsOptions { RequestTimeout = Timeout }).WaitAsync(cancellationToken);
            }
            catch (DeleteGroupsException e) when (e.Results.All(r => r.Error.Code is ErrorCode.NoError or ErrorCode.GroupIdNotFound))
            {
                // Nothing committed yet: nothing to reset.
            }
        }, cancellationToken);

    /// <summary>The fallback for brokers that refuse commits from outside a group: joins the group (subscribing to the
    /// offsets' topics), commits once the group assigned this member, and leaves. Only for a stopped connector, whose
    /// tasks left the group when they stopped.</summary>
    public Task CommitAsMemberAsync(IReadOnlyDictionary<SinkTopicPartition, long> offsets, CancellationToken cancellationToken)
    {
        if (offsets.Count == 0) return Task.CompletedTask;
        var toCommit = offsets.Select(kv => new TopicPartitionOffset(kv.Key.Topic, kv.Key.Partition, kv.Value)).ToList();
        return KafkaBlocking.Run(() =>
        {
            var joined = false;
            var consumer = KafkaClients.BuildConsumer(WithoutAutoCommit(), onAssigned: (_, _) => joined = true);
            try
            {
                consumer.Subscribe(toCommit.Select(o => o.Topic).Distinct());
                var deadline = DateTime.UtcNow + JoinTimeout;
                while (!joined)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (DateTime.UtcNow > deadline)
                        throw new KafkaException(new Error(ErrorCode.RebalanceInProgress, $"Could not join the consumer group {GroupId} to commit its offsets."));
                    consumer.Consume(TimeSpan.FromMilliseconds(100));
                }
                consumer.Commit(toCommit);
            }
            finally
            {
                consumer.Close();
                consumer.Dispose();
            }
        }, cancellationToken);
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

    /// <summary>Every error code a Kafka exception carries: its own and each partition's or group's.</summary>
    public static IEnumerable<ErrorCode> ErrorCodesOf(KafkaException e)
    {
        IEnumerable<ErrorCode> codes = e switch
        {
            TopicPartitionOffsetException p => p.Results.Select(r => r.Error.Code),
            AlterConsumerGroupOffsetsException a => a.Results.SelectMany(r => r.Partitions.Select(p => p.Error.Code).Append(r.Error.Code)),
            DeleteConsumerGroupOffsetsException d => d.Result.Partitions.Select(p => p.Error.Code).Append(d.Result.Error.Code),
            DeleteGroupsException g => g.Results.Select(r => r.Error.Code),
            ListConsumerGroupOffsetsException l => l.Results.SelectMany(r => r.Partitions.Select(p => p.Error.Code).Append(r.Error.Code)),
            _ => [],
        };
        return codes.Append(e.Error.Code).Distinct();
    }

    /// <summary>An admin client riding on a consumer handle of the group's settings (security included), so no
    /// consumer-only setting reaches a handle that would warn about it.</summary>
    private async Task WithAdminAsync(Func<IAdminClient, Task> call, CancellationToken cancellationToken)
    {
        var consumer = Build();
        try
        {
            using var admin = new DependentAdminClientBuilder(consumer.Handle).Build();
            await call(admin);
        }
        finally
        {
            // A consumer that never subscribed closes at once, but Close and Dispose still block.
            await KafkaBlocking.Run(() => { consumer.Close(); consumer.Dispose(); }, CancellationToken.None);
        }
        cancellationToken.ThrowIfCancellationRequested();
    }

    private Dictionary<string, string> WithoutAutoCommit() => new(consumerConfig)
    {
        ["enable.auto.commit"] = "false",
        ["enable.auto.offset.store"] = "false",
    };

    private IConsumer<byte[]?, byte[]?> Build() => KafkaClients.BuildConsumer(WithoutAutoCommit());
}
