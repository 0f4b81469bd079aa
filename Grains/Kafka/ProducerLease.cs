using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using OrleansConnect.Grains.Interfaces.Models;

namespace OrleansConnect.Grains.Kafka;

/// <summary>One holder's use of a <see cref="SharedProducers"/> producer. It sends, and counts its own records in
/// flight so the holder can wait for exactly those (a producer Flush would also wait for its neighbours'
/// records). It cannot flush or close the producer: returning the lease (dispose) does that for the last holder.
/// Each record's delivery report reaches only the callback given with it.</summary>
public sealed class ProducerLease : IAsyncDisposable
{
    private readonly SharedProducers _pool;
    private readonly SharedProducers.Pooled _pooled;
    private readonly ConnectorTaskId _holder;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private long _inFlight;
    private TaskCompletionSource? _delivered;
    private int _returned;

    internal ProducerLease(SharedProducers pool, SharedProducers.Pooled pooled, ConnectorTaskId holder, ILogger logger)
    {
        _pool = pool;
        _pooled = pooled;
        _holder = holder;
        _logger = logger;
    }

    /// <summary>The shared producer's client.id (connect-producer-&lt;n&gt;).</summary>
    public string ClientId => _pooled.ClientId;

    /// <summary>Set once the shared producer hit a fatal error (e.g. an idempotence failure): it will not send
    /// again, and the holder should fail so that its restart leases a new one.</summary>
    public Error? FatalError => _pooled.FatalError;

    /// <summary>Records of this lease sent and not yet reported.</summary>
    public long InFlight
    {
        get { lock (_gate) return _inFlight; }
    }

    /// <summary>Producer.Produce: throws as it does (no report follows then); otherwise <paramref name="onDelivery"/>
    /// gets the record's report on the producer's poll thread.</summary>
    public void Produce(string topic, Message<byte[]?, byte[]?> message, Action<DeliveryReport<byte[]?, byte[]?>> onDelivery) =>
        Produce(new TopicPartition(topic, Partition.Any), message, onDelivery);

    /// <inheritdoc cref="Produce(string, Message{byte[], byte[]}, Action{DeliveryReport{byte[], byte[]}})"/>
    public void Produce(TopicPartition partition, Message<byte[]?, byte[]?> message, Action<DeliveryReport<byte[]?, byte[]?>> onDelivery)
    {
        var tracked = Track(onDelivery);
        try
        {
            _pooled.Producer.Produce(partition, message, tracked);
        }
        catch
        {
            Reported();
            throw;
        }
    }

    /// <summary>Waits until every record sent through this lease is reported (acknowledged or failed), at most
    /// <paramref name="timeout"/>. False when some were still in flight then. No thread waits meanwhile.</summary>
    public async Task<bool> WhenDeliveredAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        Task delivered;
        lock (_gate)
        {
            if (_inFlight == 0) return true;
            _delivered ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            delivered = _delivered.Task;
        }
        try
        {
            await delivered.WaitAsync(timeout, cancellationToken);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private Action<DeliveryReport<byte[]?, byte[]?>> Track(Action<DeliveryReport<byte[]?, byte[]?>> onDelivery)
    {
        // A returned lease may share its producer with others still sending: it must not send anymore.
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _returned) == 1, this);
        lock (_gate) _inFlight++;
        return report =>
        {
            try
            {
                onDelivery(report);
            }
            catch (Exception e)
            {
                // Confluent would end the shared poll loop on an escaping exception: every holder would lose its reports.
                _logger.LogError(e, "Delivery callback of task {Connector}-{Task} threw", _holder.Connector, _holder.Task);
            }
            finally
            {
                // After the callback: a holder woken here sees the acknowledgement the callback recorded.
                Reported();
            }
        };
    }

    private void Reported()
    {
        TaskCompletionSource? delivered = null;
        lock (_gate)
        {
            if (--_inFlight == 0)
            {
                delivered = _delivered;
                _delivered = null;
            }
        }
        delivered?.TrySetResult();
    }

    /// <summary>Returns the lease without waiting for its records (call <see cref="WhenDeliveredAsync"/> first for
    /// a clean stop); the last lease closes the producer.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _returned, 1) == 1) return;
        await _pool.ReleaseAsync(_pooled, _holder);
    }
}
