using Confluent.Kafka;
using ErrorCode = Confluent.Kafka.ErrorCode;
using Microsoft.Extensions.Logging;
using OrleansConnect.Connect.Source;
using OrleansConnect.Grains.Kafka;
using OrleansConnect.Plugins.Json;

namespace OrleansConnect.Grains.Offsets;

/// <summary>Source offsets in the offset.storage.topic, in Kafka Connect's own format so either runtime can
/// read the other's: key = JSON ["&lt;connector&gt;", {partition}], value = JSON {offset} (null = tombstone),
/// written with the murmur2 partitioner Kafka's producer uses for keyed records.</summary>
public sealed class KafkaOffsetBackingStore : IAsyncDisposable
{
    private readonly string _topic;
    private readonly ILogger _logger;
    private readonly IProducer<byte[]?, byte[]?> _producer;
    private readonly IConsumer<byte[]?, byte[]?> _consumer;
    // Asks for the partitions' ends. Never assigned, so its requests do not queue behind the reading consumer's
    // long-polling fetches (one such wait per partition made every read-to-end take seconds).
    private readonly IConsumer<byte[]?, byte[]?> _endsConsumer;
    private readonly JsonConverter _keyConverter = new();
    private readonly JsonConverter _valueConverter = new();
    private readonly SemaphoreSlim _readLock = new(1, 1);
    private readonly Lock _queueGate = new();
    private TaskCompletionSource? _queued;
    private readonly Lock _mapLock = new();
    private readonly Dictionary<string, Dictionary<IReadOnlyDictionary<string, object?>, IReadOnlyDictionary<string, object?>>> _offsets = new(StringComparer.Ordinal);
    private List<Confluent.Kafka.TopicPartition>? _partitions;

    public KafkaOffsetBackingStore(string bootstrapServers, string topic, IReadOnlyDictionary<string, string?> producerConfigs,
        IReadOnlyDictionary<string, string?> consumerConfigs, ILogger logger)
    {
        _topic = topic;
        _logger = logger;
        var converterConfig = new Dictionary<string, string?> { ["schemas.enable"] = "false" };
        _keyConverter.Configure(converterConfig, isKey: true);
        _valueConverter.Configure(converterConfig, isKey: false);
        var producer = KafkaClients.Merge(producerConfigs, new Dictionary<string, string?>
        {
            ["bootstrap.servers"] = bootstrapServers,
            ["enable.idempotence"] = "true",
            ["acks"] = "all",
            // Kafka's Java producer hashes keys with murmur2: the same key lands on the same partition either way.
            ["partitioner"] = "murmur2_random",
            ["linger.ms"] = "0",
        });
        // Short fetch waits: a read-to-end waits for the fetch in flight, and offsets are few and small.
        var consumer = KafkaClients.Merge(new Dictionary<string, string?> { ["fetch.wait.max.ms"] = "100" }, consumerConfigs, new Dictionary<string, string?>
        {
            ["bootstrap.servers"] = bootstrapServers,
            ["group.id"] = "orleansconnect-offset-reader",
            ["enable.auto.commit"] = "false",
            ["enable.partition.eof"] = "true",
            ["auto.offset.reset"] = "earliest",
        });
        _producer = KafkaClients.BuildProducer(producer);
        _consumer = KafkaClients.BuildConsumer(consumer);
        _endsConsumer = KafkaClients.BuildConsumer(consumer);
    }

    /// <summary>Reads the topic up to its current end so the map reflects every offset written before now. Callers that
    /// ask while a read is under way share the next one (which starts after they asked), so thousands of tasks starting
    /// at once cost a few reads, not one each (a read asks every partition for its end: ~10 ms).</summary>
    public Task ReadToEndAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource? queued;
        Task read;
        lock (_queueGate)
        {
            queued = _queued is null ? _queued = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) : null;
            read = _queued.Task;
        }
        if (queued is not null) _ = RunQueuedReadAsync();
        return read.WaitAsync(cancellationToken);
    }

    private async Task RunQueuedReadAsync()
    {
        await _readLock.WaitAsync();
        TaskCompletionSource mine;
        // From here on, a new caller queues the read after this one: this one may have started before it asked.
        lock (_queueGate)
        {
            mine = _queued!;
            _queued = null;
        }
        try
        {
            // Not cancelled by any one caller: others wait on it too. ReadToEnd bounds itself.
            await KafkaBlocking.Run(() => ReadToEnd(CancellationToken.None), CancellationToken.None);
            mine.SetResult();
        }
        catch (Exception e)
        {
            mine.SetException(e);
        }
        finally
        {
            _readLock.Release();
        }
    }

    private void ReadToEnd(CancellationToken cancellationToken)
    {
        if (_partitions is null)
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            using var admin = new DependentAdminClientBuilder(_producer.Handle).Build();
            while (true)
            {
                var metadata = admin.GetMetadata(_topic, TimeSpan.FromSeconds(10));
                var topic = metadata.Topics.FirstOrDefault(t => t.Topic == _topic);
                if (topic is { Error.Code: ErrorCode.NoError } && topic.Partitions.Count > 0)
                {
                    _partitions = topic.Partitions.Select(p => new Confluent.Kafka.TopicPartition(_topic, p.PartitionId)).ToList();
                    break;
                }
                if (DateTime.UtcNow > deadline)
                    throw new KafkaException(new Error(ErrorCode.UnknownTopicOrPart, $"The offset storage topic '{_topic}' does not exist."));
                cancellationToken.WaitHandle.WaitOne(200);
                cancellationToken.ThrowIfCancellationRequested();
            }
            _consumer.Assign(_partitions.Select(p => new TopicPartitionOffset(p, Offset.Beginning)));
        }
        var ends = _partitions.ToDictionary(p => p.Partition.Value, p => _endsConsumer.QueryWatermarkOffsets(p, TimeSpan.FromSeconds(10)).High.Value);
        var remaining = new HashSet<int>(ends.Where(e => Position(e.Key) < e.Value).Select(e => e.Key));
        var readDeadline = DateTime.UtcNow.AddSeconds(60);
        while (remaining.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (DateTime.UtcNow > readDeadline)
                throw new TimeoutException($"Timed out reading the offset storage topic '{_topic}' to its end.");
            var result = _consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is null) { remaining.RemoveWhere(p => Position(p) >= ends[p]); continue; }
            if (!result.IsPartitionEOF) Apply(result.Message.Key, result.Message.Value);
            // An end-of-partition event may be older than the ends just queried (left queued by an earlier read):
            // only one at or past the end counts.
            var eofAtEnd = result.IsPartitionEOF && result.Offset.Value >= ends[result.Partition.Value];
            if (result.Offset.Value + 1 >= ends[result.Partition.Value] || eofAtEnd)
                remaining.RemoveWhere(p => Position(p) >= ends[p] || (p == result.Partition.Value && eofAtEnd));
        }
    }

    private long Position(int partition)
    {
        var position = _consumer.Position(new Confluent.Kafka.TopicPartition(_topic, partition));
        return position == Offset.Unset ? 0 : position.Value;
    }

    private void Apply(byte[]? key, byte[]? value)
    {
        if (key is null) return;
        try
        {
            var parsedKey = _keyConverter.ToConnectData(_topic, null, key).Value as System.Collections.IList;
            if (parsedKey is not [string connector, System.Collections.IDictionary partition]) return;
            var partitionMap = ToMap(partition);
            var offset = value is null ? null : _valueConverter.ToConnectData(_topic, null, value).Value as System.Collections.IDictionary;
            lock (_mapLock)
            {
                if (!_offsets.TryGetValue(connector, out var map))
                    _offsets[connector] = map = new(new SourcePartitionComparer());
                if (offset is null) map.Remove(partitionMap);
                else map[partitionMap] = ToMap(offset);
            }
        }
        catch (Exception e) when (e is OrleansConnect.Connect.Errors.DataException)
        {
            // Somebody else's record in our topic: Kafka Connect skips such records too.
            _logger.LogWarning("Ignoring a record in {OffsetTopic} whose key or value is not Connect's offset format: {Reason}", _topic, e.Message);
        }
    }

    /// <summary>The latest offset of each source partition of a connector (as read so far).</summary>
    public IReadOnlyDictionary<IReadOnlyDictionary<string, object?>, IReadOnlyDictionary<string, object?>> OffsetsOf(string connector)
    {
        lock (_mapLock)
        {
            return _offsets.TryGetValue(connector, out var map)
                ? new Dictionary<IReadOnlyDictionary<string, object?>, IReadOnlyDictionary<string, object?>>(map, new SourcePartitionComparer())
                : new Dictionary<IReadOnlyDictionary<string, object?>, IReadOnlyDictionary<string, object?>>(new SourcePartitionComparer());
        }
    }

    /// <summary>Writes offsets (null = tombstone) and waits until Kafka acknowledged every one.</summary>
    public async Task WriteAsync(string connector, IReadOnlyCollection<KeyValuePair<IReadOnlyDictionary<string, object?>, IReadOnlyDictionary<string, object?>?>> offsets, CancellationToken cancellationToken)
    {
        var pending = new List<Task<DeliveryResult<byte[]?, byte[]?>>>(offsets.Count);
        foreach (var (partition, offset) in offsets)
        {
            var key = _keyConverter.FromConnectData(_topic, null, null, new List<object?> { connector, ToJsonMap(partition) });
            var value = offset is null ? null : _valueConverter.FromConnectData(_topic, null, null, ToJsonMap(offset));
            pending.Add(_producer.ProduceAsync(_topic, new Message<byte[]?, byte[]?> { Key = key, Value = value }, cancellationToken));
        }
        await Task.WhenAll(pending);
        lock (_mapLock)
        {
            if (!_offsets.TryGetValue(connector, out var map))
                _offsets[connector] = map = new(new SourcePartitionComparer());
            foreach (var (partition, offset) in offsets)
            {
                if (offset is null) map.Remove(partition);
                else map[partition] = offset;
            }
        }
    }

    private static Dictionary<object, object?> ToJsonMap(IReadOnlyDictionary<string, object?> map) =>
        map.ToDictionary(kv => (object)kv.Key, kv => kv.Value);

    private static IReadOnlyDictionary<string, object?> ToMap(System.Collections.IDictionary map)
    {
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry entry in map)
            result[entry.Key.ToString()!] = entry.Value;
        return result;
    }

    public async ValueTask DisposeAsync()
    {
        await KafkaBlocking.Run(() =>
        {
            _producer.Flush(TimeSpan.FromSeconds(5));
            _producer.Dispose();
            _consumer.Close();
            _consumer.Dispose();
            _endsConsumer.Close();
            _endsConsumer.Dispose();
        });
        _readLock.Dispose();
    }
}

/// <summary>A source task's (or connector's) view of its connector's offsets.</summary>
public sealed class OffsetStorageReader(KafkaOffsetBackingStore store, string connector) : IOffsetStorageReader
{
    public IReadOnlyDictionary<string, object?>? Offset(IReadOnlyDictionary<string, object?> partition) =>
        store.OffsetsOf(connector).TryGetValue(partition, out var offset) ? offset : null;

    public IReadOnlyDictionary<IReadOnlyDictionary<string, object?>, IReadOnlyDictionary<string, object?>?> Offsets(IEnumerable<IReadOnlyDictionary<string, object?>> partitions)
    {
        var all = store.OffsetsOf(connector);
        var result = new Dictionary<IReadOnlyDictionary<string, object?>, IReadOnlyDictionary<string, object?>?>(new SourcePartitionComparer());
        foreach (var partition in partitions)
            result[partition] = all.TryGetValue(partition, out var offset) ? offset : null;
        return result;
    }
}
