using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using OrleansConnect.Grains.Interfaces.Models;

namespace OrleansConnect.Grains.Kafka;

/// <summary>The silo's producers: one per distinct effective producer config, shared by every task that leases it.
/// Kafka Connect gives each task its own producer; here each librdkafka client costs threads (a main thread, one
/// per broker, an internal one, and Confluent's delivery-report poll thread), so a producer per task would make
/// every idle task hold about six. Leases are counted: the last one returned closes the producer. The config's
/// client.id is not part of the identity: a shared producer is named <c>connect-producer-&lt;n&gt;</c>, so the
/// per-task client.id Connect sets (and any configured one) is lost. A producer that reports a fatal error is
/// retired: its holders see <see cref="ProducerLease.FatalError"/>, the next lease gets a new producer.</summary>
public sealed class SharedProducers : IAsyncDisposable
{
    private const string ClientIdKey = "client.id";

    private readonly Lock _gate = new();
    // The producer new leases of a config get; a retired one is no longer here but stays open while leased.
    private readonly Dictionary<string, Pooled> _current = new(StringComparer.Ordinal);
    private readonly HashSet<Pooled> _open = [];
    private readonly ILogger _logger;
    private int _created;
    private bool _disposed;

    public SharedProducers(ILogger<SharedProducers> logger) => _logger = logger;

    /// <summary>Producers open now, retired ones still leased included (a diagnostic).</summary>
    public int OpenCount
    {
        get { lock (_gate) return _open.Count; }
    }

    /// <summary>A lease on the producer for <paramref name="config"/> (client.id ignored), created when none is
    /// open for it. Throws what building the producer throws (an invalid config).</summary>
    public ProducerLease Lease(IReadOnlyDictionary<string, string> config, ConnectorTaskId holder)
    {
        var key = KeyOf(config);
        Pooled pooled;
        int leases;
        var created = false;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_current.TryGetValue(key, out var existing))
            {
                existing = new Pooled(key, $"connect-producer-{_created + 1}");
                // Building starts librdkafka's threads but waits for nothing on the network.
                existing.Producer = Build(config, existing);
                _created++;
                _current[key] = existing;
                _open.Add(existing);
                created = true;
            }
            pooled = existing;
            leases = ++pooled.Leases;
        }
        if (created) _logger.LogInformation("Created shared producer {ClientId}", pooled.ClientId);
        _logger.LogInformation("Task {Connector}-{Task} produces through shared producer {ClientId} ({Leases} leases)",
            holder.Connector, holder.Task, pooled.ClientId, leases);
        return new ProducerLease(this, pooled, holder, _logger);
    }

    /// <summary>Returns a lease; the last one closes the producer (off the thread pool: closing joins its threads).</summary>
    internal async Task ReleaseAsync(Pooled pooled, ConnectorTaskId holder)
    {
        bool close;
        int leases;
        lock (_gate)
        {
            // Already closed when the pool was disposed under an abandoned lease.
            if (!_open.Contains(pooled)) return;
            leases = --pooled.Leases;
            close = leases == 0;
            if (close)
            {
                _open.Remove(pooled);
                if (_current.TryGetValue(pooled.Key, out var current) && current == pooled) _current.Remove(pooled.Key);
            }
        }
        _logger.LogDebug("Task {Connector}-{Task} returned its lease on shared producer {ClientId} ({Leases} left)",
            holder.Connector, holder.Task, pooled.ClientId, leases);
        if (!close) return;
        await KafkaBlocking.Run(pooled.Producer.Dispose);
        _logger.LogInformation("Closed shared producer {ClientId}: its last lease was returned", pooled.ClientId);
    }

    private IProducer<byte[]?, byte[]?> Build(IReadOnlyDictionary<string, string> config, Pooled pooled)
    {
        var effective = config.Where(kv => kv.Key != ClientIdKey).ToDictionary(kv => kv.Key, kv => kv.Value);
        effective[ClientIdKey] = pooled.ClientId;
        return new ProducerBuilder<byte[]?, byte[]?>(effective)
            .SetLogHandler((_, log) => _logger.LogDebug("librdkafka {ClientId} {Facility}: {Message}", pooled.ClientId, log.Facility, log.Message))
            .SetErrorHandler((_, error) => OnError(pooled, error))
            .Build();
    }

    private void OnError(Pooled pooled, Error error)
    {
        if (!error.IsFatal)
        {
            // Transient (a broker down, a timeout): librdkafka retries; failed records come back in delivery reports.
            _logger.LogDebug("Shared producer {ClientId}: {Code} {Reason}", pooled.ClientId, error.Code, error.Reason);
            return;
        }
        pooled.FatalError ??= error;
        int leases;
        lock (_gate)
        {
            if (_current.TryGetValue(pooled.Key, out var current) && current == pooled) _current.Remove(pooled.Key);
            leases = pooled.Leases;
        }
        _logger.LogError("Shared producer {ClientId} hit a fatal error ({Code}: {Reason}); its {Leases} leases fail their tasks and the next lease gets a new producer",
            pooled.ClientId, error.Code, error.Reason, leases);
    }

    /// <summary>The identity of a config: every key but client.id, in ordinal order, lengths prefixed so no value
    /// can imitate a separator.</summary>
    private static string KeyOf(IReadOnlyDictionary<string, string> config) =>
        string.Concat(config.Where(kv => kv.Key != ClientIdKey)
            .OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => $"{kv.Key.Length}:{kv.Key}{kv.Value.Length}:{kv.Value}"));

    /// <summary>Closes what is still open (leases of tasks that did not stop in time).</summary>
    public async ValueTask DisposeAsync()
    {
        List<Pooled> open;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            open = [.. _open];
            _open.Clear();
            _current.Clear();
        }
        foreach (var pooled in open)
        {
            _logger.LogWarning("Closing shared producer {ClientId} with {Leases} leases still out", pooled.ClientId, pooled.Leases);
            await KafkaBlocking.Run(pooled.Producer.Dispose);
        }
    }

    /// <summary>One pooled producer and its lease count (guarded by the pool's lock).</summary>
    internal sealed class Pooled(string key, string clientId)
    {
        public string Key { get; } = key;
        public string ClientId { get; } = clientId;
        public IProducer<byte[]?, byte[]?> Producer { get; set; } = null!;
        public int Leases { get; set; }
        private volatile Error? _fatalError;

        public Error? FatalError
        {
            get => _fatalError;
            set => _fatalError = value;
        }
    }
}
