using System.Runtime.CompilerServices;
using Confluent.Kafka;
using OrleansConnect.Grains.Kafka;

namespace OrleansConnect.Throughput;

/// <summary>The .NET Kafka client on its own, in this process, on the same broker and lines: a tight produce loop with
/// the silo's source producer settings, and a group consumer with its sinks' settings. What no connector on Confluent.Kafka
/// can beat, so every silo row can be read against it as well as against kcat.</summary>
public static class DotNetClientLoops
{
    /// <summary>Produces every input line (without its newline, null key) as fast as the client takes them, on a dedicated
    /// thread; returns once every delivery report came back, throwing on the first failed one.</summary>
    public static Task ProduceAsync(string bootstrap, string topic, string inputPath, int lineBytes, CancellationToken cancellationToken) =>
        KafkaBlocking.Run(() =>
        {
            var config = new ProducerConfig
            {
                BootstrapServers = bootstrap,
                EnableIdempotence = true,
                Acks = Acks.All,
                LingerMs = 5,
                CompressionType = CompressionType.Lz4,
                // As the silo's source producers: the delivery report's error is all that is read.
                DeliveryReportFields = "none",
            };
            using var producer = new ProducerBuilder<Null, byte[]>(config).Build();
            Error? failed = null;
            Action<DeliveryReport<Null, byte[]>> onDelivery = report =>
            {
                if (report.Error.IsError) Interlocked.CompareExchange(ref failed, report.Error, null);
            };
            using var input = new FileStream(inputPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
            var line = new byte[lineBytes];
            while (input.ReadAtLeast(line, lineBytes, throwOnEndOfStream: false) == lineBytes)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var message = new Message<Null, byte[]> { Value = line.AsSpan(0, lineBytes - 1).ToArray() };
                while (true)
                {
                    try
                    {
                        producer.Produce(topic, message, onDelivery);
                        break;
                    }
                    catch (ProduceException<Null, byte[]> e) when (e.Error.Code == Confluent.Kafka.ErrorCode.Local_QueueFull)
                    {
                        producer.Poll(TimeSpan.FromMilliseconds(100));
                    }
                }
                if (Volatile.Read(ref failed) is { } error) throw new KafkaException(error);
            }
            while (producer.Flush(TimeSpan.FromSeconds(1)) > 0) cancellationToken.ThrowIfCancellationRequested();
            if (Volatile.Read(ref failed) is { } last) throw new KafkaException(last);
        }, cancellationToken);

    /// <summary>Consumes <paramref name="records"/> records from the beginning in a new group, counting them into
    /// <paramref name="counted"/> as they arrive (the sampler reads it), on a dedicated thread.</summary>
    public static Task ConsumeAsync(string bootstrap, string topic, string group, long records, StrongBox<long> counted, CancellationToken cancellationToken) =>
        KafkaBlocking.Run(() =>
        {
            var config = new ConsumerConfig
            {
                BootstrapServers = bootstrap,
                GroupId = group,
                AutoOffsetReset = AutoOffsetReset.Earliest,
                EnableAutoCommit = false,
                // The silo's sink consumers (WorkerSinkTask): the KIP-848 protocol on the embedded broker, and fetches
                // resumed 10 ms after a full queue rather than librdkafka's 1 s.
                GroupProtocol = GroupProtocol.Consumer,
                FetchQueueBackoffMs = 10,
            };
            using var consumer = new ConsumerBuilder<byte[], byte[]>(config).Build();
            consumer.Subscribe(topic);
            try
            {
                while (Interlocked.Read(ref counted.Value) < records)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { IsPartitionEOF: false, Message: not null })
                        Interlocked.Increment(ref counted.Value);
                }
            }
            finally
            {
                consumer.Close();
            }
        }, cancellationToken);
}
