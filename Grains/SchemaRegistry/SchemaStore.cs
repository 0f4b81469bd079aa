using Confluent.Kafka;
using ErrorCode = Confluent.Kafka.ErrorCode;
using TopicPartition = Confluent.Kafka.TopicPartition;
using Microsoft.Extensions.Logging;
using OrleansConnect.Grains.Interfaces.SchemaRegistry;
using OrleansConnect.Grains.Kafka;

namespace OrleansConnect.Grains.SchemaRegistry;

/// <summary>This silo's copy of the _schemas topic: a consumer follows its one partition from the beginning and applies
/// each record to an in-memory view (subjects, versions, ids, compatibility levels, modes), as every Confluent registry
/// instance does with its KafkaStore. Writes are produced here (by the writer grain on whichever silo it lives) and count
/// once this copy has read them back.</summary>
public sealed class SchemaStore : IAsyncDisposable
{
    public const string Global = "";

    private readonly string _topic;
    private readonly ILogger _logger;
    private readonly IProducer<byte[]?, byte[]?> _producer;
    private readonly IConsumer<byte[]?, byte[]?> _consumer;
    // Asks for the partition's end; never assigned, so its requests do not queue behind the follower's fetches.
    private readonly IConsumer<byte[]?, byte[]?> _endsConsumer;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private readonly Dictionary<string, SortedDictionary<int, StoredSchema>> _subjects = new(StringComparer.Ordinal);
    private readonly Dictionary<int, List<StoredSchema>> _byId = [];
    private readonly Dictionary<string, string> _compatibility = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _modes = new(StringComparer.Ordinal);
    private readonly List<(long Offset, TaskCompletionSource Done)> _waiters = [];
    private long _position;
    private int _maxId;
    private Task? _follow;
    private bool _disposed;

    public SchemaStore(string bootstrapServers, string topic, IReadOnlyDictionary<string, string?> producerConfigs,
        IReadOnlyDictionary<string, string?> consumerConfigs, ILogger logger)
    {
        _topic = topic;
        _logger = logger;
        _producer = KafkaClients.BuildProducer(KafkaClients.Merge(producerConfigs, new Dictionary<string, string?>
        {
            ["bootstrap.servers"] = bootstrapServers,
            ["enable.idempotence"] = "true",
            ["acks"] = "all",
            ["linger.ms"] = "0",
            // Confluent's registry writes its records uncompressed; so do we, for any reader's sake.
            ["compression.type"] = "none",
        }));
        var consumer = KafkaClients.Merge(new Dictionary<string, string?> { ["fetch.wait.max.ms"] = "50" }, consumerConfigs, new Dictionary<string, string?>
        {
            ["bootstrap.servers"] = bootstrapServers,
            // Required by the client; unused: every silo reads the whole partition by assignment and commits nothing.
            ["group.id"] = "orleansconnect-schema-registry",
            ["enable.auto.commit"] = "false",
            ["enable.partition.eof"] = "true",
            ["auto.offset.reset"] = "earliest",
        });
        _consumer = KafkaClients.BuildConsumer(consumer);
        _endsConsumer = KafkaClients.BuildConsumer(consumer);
    }

    public string Topic => _topic;

    /// <summary>Starts following the topic (one partition, as Confluent requires) and returns once it is read to its end.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var partitions = await KafkaBlocking.Run(() =>
        {
            using var admin = new DependentAdminClientBuilder(_producer.Handle).Build();
            var topic = admin.GetMetadata(_topic, TimeSpan.FromSeconds(10)).Topics.FirstOrDefault(t => t.Topic == _topic);
            return topic is { Error.Code: ErrorCode.NoError } ? topic.Partitions.Count : 0;
        }, cancellationToken);
        if (partitions != 1)
            throw new InvalidOperationException(partitions == 0
                ? $"The schemas topic '{_topic}' does not exist."
                : $"The schemas topic '{_topic}' has {partitions} partitions; the schema registry needs exactly 1 (as Confluent's does).");
        _consumer.Assign(new TopicPartitionOffset(_topic, 0, Offset.Beginning));
        _follow = KafkaBlocking.Run(Follow);
        await ReadToEndAsync(cancellationToken);
    }

    private void Follow()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            ConsumeResult<byte[]?, byte[]?>? result;
            try
            {
                result = _consumer.Consume(TimeSpan.FromMilliseconds(100));
            }
            catch (ConsumeException e)
            {
                _logger.LogWarning("Reading the schemas topic {Topic} failed: {Reason}; retrying", _topic, e.Error.Reason);
                token.WaitHandle.WaitOne(500);
                continue;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            if (result is null) continue;
            if (!result.IsPartitionEOF)
            {
                try
                {
                    Apply(result.Message.Key, result.Message.Value);
                }
                catch (Exception e) when (e is System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
                {
                    // Confluent's registry skips records it cannot read too; one bad record must not stop every silo.
                    _logger.LogWarning("Skipping record {Offset} of {Topic}: {Reason}", result.Offset.Value, _topic, e.Message);
                }
            }
            Advance(result.IsPartitionEOF ? result.Offset.Value : result.Offset.Value + 1);
        }
    }

    private void Advance(long position)
    {
        List<TaskCompletionSource>? done = null;
        lock (_lock)
        {
            if (position <= _position) return;
            _position = position;
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Offset > position) continue;
                (done ??= []).Add(_waiters[i].Done);
                _waiters.RemoveAt(i);
            }
        }
        if (done is not null) foreach (var tcs in done) tcs.TrySetResult();
    }

    /// <summary>Waits until every record before <paramref name="position"/> has been applied.</summary>
    public Task WaitForPositionAsync(long position, CancellationToken cancellationToken)
    {
        TaskCompletionSource tcs;
        lock (_lock)
        {
            if (_position >= position) return Task.CompletedTask;
            tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((position, tcs));
        }
        return tcs.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
    }

    /// <summary>Waits until everything written to the topic before now has been applied.</summary>
    public async Task ReadToEndAsync(CancellationToken cancellationToken)
    {
        var end = await KafkaBlocking.Run(() => _endsConsumer.QueryWatermarkOffsets(new TopicPartition(_topic, 0), TimeSpan.FromSeconds(10)).High.Value,
            cancellationToken);
        await WaitForPositionAsync(end, cancellationToken);
    }

    /// <summary>Produces one record (null value: a tombstone) and returns its offset once Kafka acknowledged it.</summary>
    public async Task<long> WriteAsync(byte[] key, byte[]? value, CancellationToken cancellationToken)
    {
        var delivered = await _producer.ProduceAsync(new TopicPartition(_topic, 0), new Message<byte[]?, byte[]?> { Key = key, Value = value }, cancellationToken);
        return delivered.Offset.Value;
    }

    private void Apply(byte[]? keyBytes, byte[]? value)
    {
        if (SchemaRecords.ParseKey(keyBytes) is not { } key) return;
        lock (_lock)
        {
            switch (key.KeyType)
            {
                case SchemaRecords.Schema when key.Subject is not null:
                    RemoveVersion(key.Subject, key.Version);
                    if (value is null) break;
                    var schema = SchemaRecords.ParseSchemaValue(value);
                    var stored = new StoredSchema(schema);
                    if (!_subjects.TryGetValue(schema.Subject, out var versions)) _subjects[schema.Subject] = versions = [];
                    versions[schema.Version] = stored;
                    if (!_byId.TryGetValue(schema.Id, out var holders)) _byId[schema.Id] = holders = [];
                    holders.Add(stored);
                    _maxId = Math.Max(_maxId, schema.Id);
                    break;
                case SchemaRecords.Config:
                    if (value is null || SchemaRecords.StringProperty(value, "compatibilityLevel") is not { } level) _compatibility.Remove(key.Subject ?? Global);
                    else _compatibility[key.Subject ?? Global] = level;
                    break;
                case SchemaRecords.Mode:
                    if (value is null || SchemaRecords.StringProperty(value, "mode") is not { } mode) _modes.Remove(key.Subject ?? Global);
                    else _modes[key.Subject ?? Global] = mode;
                    break;
                case SchemaRecords.DeleteSubject when value is not null && key.Subject is not null:
                    // Soft-deletes every version up to the one named, as Confluent's store does.
                    var upTo = SchemaRecords.IntProperty(value, "version");
                    if (_subjects.TryGetValue(key.Subject, out var subject))
                        foreach (var (version, entry) in subject.Where(v => v.Key <= upTo).ToList())
                            if (!entry.Schema.Deleted) Replace(entry, entry.Schema with { Deleted = true });
                    break;
            }
        }
    }

    private void Replace(StoredSchema old, RegisteredSchema updated)
    {
        RemoveVersion(old.Schema.Subject, old.Schema.Version);
        var stored = new StoredSchema(updated, old.Canonical);
        _subjects[updated.Subject][updated.Version] = stored;
        if (!_byId.TryGetValue(updated.Id, out var holders)) _byId[updated.Id] = holders = [];
        holders.Add(stored);
    }

    private void RemoveVersion(string subject, int version)
    {
        if (!_subjects.TryGetValue(subject, out var versions) || !versions.Remove(version, out var old)) return;
        if (versions.Count == 0) _subjects.Remove(subject);
        if (_byId.TryGetValue(old.Schema.Id, out var holders))
        {
            holders.Remove(old);
            if (holders.Count == 0) _byId.Remove(old.Schema.Id);
        }
    }

    // Reads: copies taken under the lock.

    public int MaxId { get { lock (_lock) return _maxId; } }

    public List<string> Subjects(bool includeDeleted)
    {
        lock (_lock)
            return _subjects.Where(s => includeDeleted || s.Value.Values.Any(v => !v.Schema.Deleted)).Select(s => s.Key).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Every version of the subject, deleted ones included, in order; empty when it never existed (or was purged).</summary>
    public List<StoredSchema> VersionsOf(string subject)
    {
        lock (_lock)
            return _subjects.TryGetValue(subject, out var versions) ? versions.Values.ToList() : [];
    }

    public List<StoredSchema> WithId(int id)
    {
        lock (_lock)
            return _byId.TryGetValue(id, out var holders) ? holders.ToList() : [];
    }

    /// <summary>Any stored version whose schema is the same as <paramref name="canonical"/> (first the lowest id).</summary>
    public StoredSchema? FindSame(string schemaType, string canonical, IReadOnlyList<SchemaReference> references)
    {
        lock (_lock)
            return _byId.OrderBy(kv => kv.Key).SelectMany(kv => kv.Value)
                .FirstOrDefault(s => s.Schema.SchemaType == schemaType && s.Canonical == canonical && s.Schema.References.SequenceEqual(references));
    }

    /// <summary>subject null or "" is the global level; null when none is set.</summary>
    public string? CompatibilityOf(string? subject)
    {
        lock (_lock) return _compatibility.TryGetValue(subject ?? Global, out var level) ? level : null;
    }

    public string? ModeOf(string? subject)
    {
        lock (_lock) return _modes.TryGetValue(subject ?? Global, out var mode) ? mode : null;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        await _stop.CancelAsync();
        if (_follow is not null) await _follow;
        await KafkaBlocking.Run(() =>
        {
            _producer.Flush(TimeSpan.FromSeconds(5));
            _producer.Dispose();
            _consumer.Close();
            _consumer.Dispose();
            _endsConsumer.Close();
            _endsConsumer.Dispose();
        });
        _stop.Dispose();
    }
}

/// <summary>A stored version and its schema in canonical form (what identical schemas are recognised by).</summary>
public sealed class StoredSchema(RegisteredSchema schema, string? canonical = null)
{
    public RegisteredSchema Schema { get; } = schema;
    public string Canonical { get; } = canonical ?? SchemaTypes.CanonicalOrText(schema.SchemaType, schema.Schema);
}
