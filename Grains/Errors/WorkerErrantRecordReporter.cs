using System.Runtime.CompilerServices;
using OrleansConnect.Connect.Sink;
using OrleansConnect.Connect.Storage;

namespace OrleansConnect.Grains.Errors;

/// <summary>The errant record reporter a sink task gets from its context (Connect's WorkerErrantRecordReporter),
/// present when a dead letter queue is set or errors are logged. A record the task was given is reported as it
/// was consumed (raw bytes); a record the task made itself is converted back with the connector's converters.
/// With errors.tolerance=none, reporting throws ConnectException "Tolerance exceeded in error handler" (after
/// reporting), which fails the task when it lets the exception out of put. Offsets are committed only after every
/// report is durable.</summary>
public sealed class WorkerErrantRecordReporter(
    RetryWithToleranceOperator retryWithToleranceOperator,
    IConverter keyConverter,
    IConverter valueConverter,
    IHeaderConverter headerConverter) : IErrantRecordReporter
{
    // Keyed by identity: the records handed to put, with what was consumed for them.
    private readonly ConditionalWeakTable<SinkRecord, ConsumerRecord> _originals = new();

    /// <summary>Remembers what a record handed to the task was consumed as.</summary>
    public void Remember(SinkRecord delivered, ConsumerRecord consumed) => _originals.AddOrUpdate(delivered, consumed);

    public Task ReportAsync(SinkRecord record, Exception error, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(error);
        var consumed = _originals.TryGetValue(record, out var original) ? original : Convert(record);
        var context = new ProcessingContext(consumed);
        return retryWithToleranceOperator.ExecuteFailed(context, Stage.TaskPut, RetryWithToleranceOperator.SinkTaskClass, error);
    }

    private ConsumerRecord Convert(SinkRecord record)
    {
        // Kafka's ConsumerRecord refuses a null topic with this message; a record a transform left without one cannot be reported.
        var topic = record.Topic ?? throw new ArgumentException("Topic cannot be null");
        var key = keyConverter.FromConnectData(topic, record.Headers, record.KeySchema, record.Key);
        var value = valueConverter.FromConnectData(topic, record.Headers, record.ValueSchema, record.Value);
        var headers = record.Headers
            .Select(h => new KeyValuePair<string, byte[]?>(h.Key, headerConverter.FromConnectHeader(topic, h.Key, h.Schema, h.Value)))
            .ToList();
        return new ConsumerRecord(topic, record.KafkaPartition ?? -1, record.KafkaOffset, record.Timestamp, record.TimestampType, key, value, headers);
    }
}
