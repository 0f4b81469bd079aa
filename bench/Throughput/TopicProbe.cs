using System.Text.Json;
using Confluent.Kafka;
using OrleansConnect.Grains.Kafka;

namespace OrleansConnect.Throughput;

/// <summary>Looks at the bench's topics from the outside: the sum of their partitions' watermarks, and how many bytes
/// the broker retains. The probe consumer never fetches, so its offset queries never wait behind a fetch.</summary>
public sealed class TopicProbe(string bootstrapServers, int partitions) : IDisposable
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    private readonly IConsumer<Ignore, Ignore> _consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig
    {
        BootstrapServers = bootstrapServers,
        GroupId = "bench-probe",
        EnableAutoCommit = false,
    }).Build();

    private List<TopicPartition> PartitionsOf(string topic) =>
        Enumerable.Range(0, partitions).Select(p => new TopicPartition(topic, p)).ToList();

    /// <summary>Records in the topic: the sum of its partitions' high watermarks, in one ListOffsets request per
    /// leader (offsetsForTimes with the protocol's "latest", -1), cheap enough to ask every few milliseconds.
    /// Synchronous: called from the <see cref="Sampler"/>'s thread.</summary>
    public long Records(string topic) => ListOffsets(topic, Offset.End).Values.Sum();

    private Dictionary<TopicPartition, long> ListOffsets(string topic, Offset logical) =>
        _consumer.OffsetsForTimes(PartitionsOf(topic).Select(tp => new TopicPartitionTimestamp(tp, new Timestamp(logical.Value, TimestampType.CreateTime))), RequestTimeout)
            .ToDictionary(o => o.TopicPartition, o => o.Offset.Value < 0
                ? throw new InvalidOperationException($"{o.TopicPartition} answered no offset.")
                : o.Offset.Value);

    /// <summary>Fails unless every partition still starts at offset 0 (the broker dropped nothing: it keeps ~5 MiB per
    /// partition) and the partitions hold exactly <paramref name="lines"/> records together (more are duplicates).</summary>
    public Task RequireCompleteAsync(string topic, long lines, CancellationToken cancellationToken) => KafkaBlocking.Run(() =>
    {
        var low = ListOffsets(topic, Offset.Beginning);
        var high = ListOffsets(topic, Offset.End);
        if (low.Values.Any(o => o != 0))
            throw new InvalidOperationException($"Topic {topic} no longer starts at offset 0 in every partition (log starts: {string.Join(", ", low.Values)}): " +
                "the embedded broker keeps only ~5 MiB (or 100 000 batches) per partition and dropped the oldest data. Use more --partitions or fewer lines.");
        if (high.Values.Sum() != lines)
            throw new InvalidOperationException($"Topic {topic} holds {high.Values.Sum():N0} records for {lines:N0} lines: " +
                (high.Values.Sum() > lines ? "duplicates." : "records lost."));
    }, cancellationToken);

    /// <summary>The bytes a consumer fetches to read the whole topic, as librdkafka counts them on the wire (the retained,
    /// compressed batches plus a little protocol overhead), and the largest partition's share.</summary>
    public Task<(long Bytes, long LargestPartitionRecords)> MeasureRetainedAsync(string topic, TimeSpan timeout, CancellationToken cancellationToken) =>
        KafkaBlocking.Run(() =>
        {
            var largest = ListOffsets(topic, Offset.End).Values.Max();
            long received = -1;
            var reports = 0;
            using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig
            {
                BootstrapServers = bootstrapServers,
                GroupId = "bench-size-" + topic,
                EnableAutoCommit = false,
                EnablePartitionEof = true,
                StatisticsIntervalMs = 100,
            }).SetStatisticsHandler((_, json) =>
            {
                received = ReceivedBytes(json);
                reports++;
            }).Build();
            var deadline = DateTime.UtcNow + timeout;
            var eofs = 0;
            void PollUntil(Func<bool> done, string what)
            {
                while (!done())
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out measuring the size of {topic}: {what}.");
                    if (consumer.Consume(TimeSpan.FromMilliseconds(50))?.IsPartitionEOF == true) eofs++;
                }
            }
            // Statistics handlers run inside Consume: the first report is the baseline (metadata only).
            PollUntil(() => reports > 0, "first statistics");
            var baseline = received;
            consumer.Assign(PartitionsOf(topic).Select(tp => new TopicPartitionOffset(tp, Offset.Beginning)));
            PollUntil(() => eofs >= partitions, "end of every partition");
            // A report from a whole interval after the end counts every fetched byte.
            var seen = reports;
            PollUntil(() => reports >= seen + 2, "final statistics");
            consumer.Close();
            return (received - baseline, largest);
        }, cancellationToken);

    private static long ReceivedBytes(string statistics)
    {
        using var document = JsonDocument.Parse(statistics);
        long total = 0;
        if (document.RootElement.TryGetProperty("brokers", out var brokers))
            foreach (var broker in brokers.EnumerateObject())
                if (broker.Value.TryGetProperty("rxbytes", out var rx)) total += rx.GetInt64();
        return total;
    }

    public void Dispose()
    {
        _consumer.Close();
        _consumer.Dispose();
    }
}
