using System.Text.Json;
using Confluent.Kafka;
using OrleansConnect.Grains.Kafka;

namespace OrleansConnect.Throughput;

/// <summary>Looks at single-partition topics from the outside: watermarks, and how many bytes the broker
/// retains (the embedded broker drops the oldest batches of a partition beyond 5 MiB).</summary>
public sealed class TopicProbe : IDisposable
{
    private readonly string _bootstrapServers;
    private readonly IConsumer<Ignore, Ignore> _consumer;

    public TopicProbe(string bootstrapServers)
    {
        _bootstrapServers = bootstrapServers;
        _consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = "bench-probe",
            EnableAutoCommit = false,
        }).Build();
    }

    public Task<WatermarkOffsets> WatermarksAsync(string topic, CancellationToken cancellationToken) =>
        KafkaBlocking.Run(() => _consumer.QueryWatermarkOffsets(new TopicPartition(topic, 0), TimeSpan.FromSeconds(10)), cancellationToken);

    /// <summary>Fails when the broker no longer holds the topic from offset 0: a consumer reading it
    /// "from the beginning" would silently get fewer lines than were produced.</summary>
    public async Task RequireCompleteAsync(string topic, long lines, CancellationToken cancellationToken)
    {
        var marks = await WatermarksAsync(topic, cancellationToken);
        if (marks.Low.Value != 0 || marks.High.Value != lines)
            throw new InvalidOperationException(
                $"Topic {topic} holds offsets [{marks.Low.Value}, {marks.High.Value}) but should hold [0, {lines}): the embedded broker keeps " +
                "only ~5 MiB (or 100 000 batches) per partition and dropped the oldest data. Run with fewer lines (bench/run.sh <lines>) or shorter --line-bytes.");
    }

    /// <summary>The bytes a consumer fetches to read the whole partition, as librdkafka counts them on the
    /// wire: the retained (compressed) batches plus a little fetch-protocol overhead.</summary>
    public Task<long> MeasureRetainedBytesAsync(string topic, TimeSpan timeout, CancellationToken cancellationToken) =>
        KafkaBlocking.Run(() =>
        {
            long received = -1;
            var reports = 0;
            using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig
            {
                BootstrapServers = _bootstrapServers,
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
            var eof = false;
            void PollUntil(Func<bool> done, string what)
            {
                while (!done())
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out measuring the size of {topic}: {what}.");
                    var result = consumer.Consume(TimeSpan.FromMilliseconds(50));
                    if (result?.IsPartitionEOF == true) eof = true;
                }
            }
            // Statistics handlers run inside Consume: the first report is the baseline (metadata only).
            PollUntil(() => reports > 0, "first statistics");
            var baseline = received;
            consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
            PollUntil(() => eof, "end of partition");
            // A report from a whole interval after the end counts every fetched byte.
            var seen = reports;
            PollUntil(() => reports >= seen + 2, "final statistics");
            consumer.Close();
            return received - baseline;
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
