using System.Text;
using Confluent.Kafka;
using OrleansConnect.Grains.Kafka;

namespace OrleansConnect.Tests.ErrorHandling;

/// <summary>What the tests write to and read from Kafka directly, with Confluent clients.</summary>
public static class KafkaTopics
{
    public static async Task ProduceAsync(string bootstrap, string topic, IEnumerable<Message<byte[]?, byte[]?>> messages)
    {
        using var producer = KafkaClients.BuildProducer(new Dictionary<string, string>
        {
            ["bootstrap.servers"] = bootstrap,
            ["acks"] = "all",
            ["enable.idempotence"] = "true",
        });
        foreach (var message in messages)
            await producer.ProduceAsync(new TopicPartition(topic, 0), message);
    }

    /// <summary>Reads partitions of a topic from the beginning until <paramref name="done"/> holds for what was read
    /// or the deadline passes (then TimeoutException with what was read).</summary>
    public static Task<List<ConsumeResult<byte[]?, byte[]?>>> ReadUntilAsync(string bootstrap, string topic, int partitions,
        Func<List<ConsumeResult<byte[]?, byte[]?>>, bool> done, TimeSpan timeout) =>
        KafkaBlocking.Run(() =>
        {
            using var consumer = KafkaClients.BuildConsumer(new Dictionary<string, string>
            {
                ["bootstrap.servers"] = bootstrap,
                ["group.id"] = "test-reader-" + Guid.NewGuid().ToString("N")[..8],
                ["enable.auto.commit"] = "false",
            });
            consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
            var read = new List<ConsumeResult<byte[]?, byte[]?>>();
            var deadline = DateTime.UtcNow + timeout;
            while (!done(read))
            {
                if (DateTime.UtcNow > deadline)
                    throw new TimeoutException($"Read {read.Count} records from {topic} within {timeout}: " +
                        string.Join(" | ", read.Select(r => Text(r.Message.Value))));
                if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { IsPartitionEOF: false } result) read.Add(result);
            }
            return read;
        });

    /// <summary>Everything a topic holds now: reads every partition from the beginning to its end.</summary>
    public static Task<List<ConsumeResult<byte[]?, byte[]?>>> ReadToEndAsync(string bootstrap, string topic, int partitions, TimeSpan timeout) =>
        KafkaBlocking.Run(() =>
        {
            using var consumer = KafkaClients.BuildConsumer(new Dictionary<string, string>
            {
                ["bootstrap.servers"] = bootstrap,
                ["group.id"] = "test-reader-" + Guid.NewGuid().ToString("N")[..8],
                ["enable.auto.commit"] = "false",
                ["enable.partition.eof"] = "true",
            });
            consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
            var read = new List<ConsumeResult<byte[]?, byte[]?>>();
            var atEnd = new HashSet<int>();
            var deadline = DateTime.UtcNow + timeout;
            while (atEnd.Count < partitions)
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"{topic} not read to its end within {timeout}");
                if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is not { } result) continue;
                if (result.IsPartitionEOF) atEnd.Add(result.Partition.Value);
                else read.Add(result);
            }
            return read;
        });

    /// <summary>The offset a consumer group committed for partition 0 of a topic (-1001 when none).</summary>
    public static Task<long> CommittedAsync(string bootstrap, string groupId, string topic) =>
        KafkaBlocking.Run(() =>
        {
            using var consumer = KafkaClients.BuildConsumer(new Dictionary<string, string>
            {
                ["bootstrap.servers"] = bootstrap,
                ["group.id"] = groupId,
                ["enable.auto.commit"] = "false",
            });
            var committed = consumer.Committed([new TopicPartition(topic, 0)], TimeSpan.FromSeconds(10));
            return committed[0].Offset.Value;
        });

    public static string? Header(ConsumeResult<byte[]?, byte[]?> result, string key) =>
        result.Message.Headers is { } headers && headers.TryGetLastBytes(key, out var bytes) ? Text(bytes) : null;

    public static string? Text(byte[]? bytes) => bytes is null ? null : Encoding.UTF8.GetString(bytes);
}
