using System.Diagnostics;
using Confluent.Kafka;
using ErrorCode = Confluent.Kafka.ErrorCode;
using Microsoft.Extensions.Logging;
using OrleansConnect.Connect.Header;
using OrleansConnect.Connect.Source;
using OrleansConnect.Connect.Storage;
using OrleansConnect.Grains.Errors;
using OrleansConnect.Grains.Interfaces.Models;
using OrleansConnect.Grains.Kafka;
using OrleansConnect.Grains.Offsets;

namespace OrleansConnect.Grains.Worker;

/// <summary>Source task loop: poll → transform → convert → produce, through the silo's idempotent producer for
/// the connector's producer config, shared with every task whose config is the same (<see cref="SharedProducers"/>).
/// Offsets go to the offset topic every offset.flush.interval.ms and at stop, only up to records Kafka has
/// acknowledged; a clean stop waits for this task's own records (not its neighbours'), so it neither loses nor
/// repeats a record. Transformation and conversion run through the <see cref="RetryWithToleranceOperator"/>
/// (errors.* keys); with errors.tolerance=all a record that fails there or in the produce is reported (log, and
/// beyond Connect the dead letter queue) and its offset counts as processed once the report is durable. A fatal
/// producer error fails the task whatever the tolerance.</summary>
public sealed class WorkerSourceTask : WorkerTask
{
    // Bounds memory; one task alone stays under librdkafka's queue.buffering.max.messages (100 000 by default).
    private const int MaxInFlight = 50_000;
    // Kafka's producer default buffer.memory (32 MiB): what its source tasks may have unacknowledged, in bytes.
    private const long MaxInFlightBytes = 32L << 20;

    private readonly SourceTask _task;
    private readonly IReadOnlyDictionary<string, string> _connectorConfig;
    private readonly IReadOnlyDictionary<string, string> _taskConfig;
    private readonly InFlightBudget _inFlight = new(MaxInFlight, MaxInFlightBytes);
    private readonly SemaphoreSlim _commitLock = new(1, 1);
    private readonly SubmittedRecords _submitted = new();
    private readonly TopicCreation _topicCreation;
    private IConverter? _keyConverter;
    private IConverter? _valueConverter;
    private IHeaderConverter? _headerConverter;
    private TransformationChain<SourceRecord>? _chain;
    private RetryWithToleranceOperator? _retryWithToleranceOperator;
    private string _keyConverterClass = "";
    private string _valueConverterClass = "";
    private string _headerConverterClass = "";
    private ProducerLease? _producer;
    private volatile Exception? _sendError;
    private bool _started;

    public WorkerSourceTask(ConnectorTaskId id, SourceTask task, IReadOnlyDictionary<string, string> connectorConfig,
        IReadOnlyDictionary<string, string> taskConfig, ConnectWorker worker, ILogger logger) : base(id, worker, logger)
    {
        _task = task;
        _connectorConfig = connectorConfig;
        _taskConfig = taskConfig;
        _topicCreation = new TopicCreation(worker, connectorConfig, logger);
    }

    public IReadOnlyCollection<string> ActiveTopics => _topicCreation.SeenTopics;

    /// <summary>Forgets the active topics: each is reported again with its next record (topics/reset).</summary>
    public void ResetActiveTopics() => _topicCreation.ResetSeenTopics();

    /// <summary>Records sent and not yet acknowledged (source-record-active-count).</summary>
    public override long ActiveRecordCount() => _producer?.InFlight ?? 0;

    protected override async Task ExecuteAsync()
    {
        _keyConverter = ConverterFactory.CreateConverter(Worker, _connectorConfig, isKey: true);
        _valueConverter = ConverterFactory.CreateConverter(Worker, _connectorConfig, isKey: false);
        _headerConverter = ConverterFactory.CreateHeaderConverter(Worker, _connectorConfig);
        _keyConverterClass = RetryWithToleranceOperator.ClassNameOf(_keyConverter);
        _valueConverterClass = RetryWithToleranceOperator.ClassNameOf(_valueConverter);
        _headerConverterClass = RetryWithToleranceOperator.ClassNameOf(_headerConverter);
        _chain = TransformationChain<SourceRecord>.Create(Worker.Plugins, _connectorConfig);
        _retryWithToleranceOperator = await ErrorReporters.CreateOperatorAsync(Worker, Id, _connectorConfig, StopToken);
        _retryWithToleranceOperator.Metrics = Metrics;
        _producer = Worker.Producers.Lease(ProducerConfigs.For(Worker, _connectorConfig), Id);

        await Worker.OffsetStore.ReadToEndAsync(StopToken);
        _task.Initialize(new SourceTaskContext(_taskConfig, new OffsetStorageReader(Worker.OffsetStore, Id.Connector)));
        await _task.StartAsync(_taskConfig, StopToken);
        _started = true;
        MarkRunning();

        using var commitLoop = new CancellationTokenSource();
        var committer = CommitPeriodicallyAsync(commitLoop.Token);
        try
        {
            while (!IsStopping)
            {
                if (IsPaused && !await WaitWhilePausedAsync()) break;
                ThrowIfSendFailed();
                IReadOnlyList<SourceRecord>? records;
                var polling = Stopwatch.GetTimestamp();
                try
                {
                    records = await _task.PollAsync(StopToken);
                }
                catch (OperationCanceledException) when (IsStopping)
                {
                    break;
                }
                if (records is null || records.Count == 0) continue;
                // As Connect, only polls that returned records count towards poll-batch time and batch size.
                Metrics.Batch(Stopwatch.GetElapsedTime(polling).TotalMilliseconds, records.Count);
                Metrics.SourceRecordsPolled(records.Count);
                try
                {
                    foreach (var record in records)
                    {
                        // A silo frozen past the death timeout was replaced meanwhile: on waking it must not send what it
                        // polled before. Per record (a clock comparison) so a pause in the middle of a batch is caught too.
                        if (!MayPublishNow && !await WaitUntilMayPublishAsync()) throw new OperationCanceledException(StopToken);
                        await SendAsync(record);
                    }
                }
                catch (OperationCanceledException) when (IsStopping)
                {
                    // Stopped while retrying, waiting for room or fenced: the unsent records' offsets are not committed.
                    break;
                }
            }
        }
        finally
        {
            commitLoop.Cancel();
            await committer;
        }
        ThrowIfSendFailed();

        // Graceful stop: wait for this task's records to be acknowledged (not the producer's: it is shared), commit,
        // then stop the task. What is still unacknowledged at the timeout is not committed, so it is sent again.
        if (!await _producer.WhenDeliveredAsync(Worker.OffsetFlushTimeout))
            Logger.LogWarning("Task {Connector}-{Task} stops with {Count} records unacknowledged after {Timeout}; their offsets are not committed",
                Id.Connector, Id.Task, _producer.InFlight, Worker.OffsetFlushTimeout);
        // Failed records count as processed only once reported: their reports must be durable before the commit.
        await _retryWithToleranceOperator.AwaitReportsAsync(Worker.OffsetFlushTimeout);
        await CommitOffsetsAsync(CancellationToken.None);
        // A send that failed while flushing: what was acknowledged is committed, the task still fails.
        ThrowIfSendFailed();
        await _task.StopAsync(CancellationToken.None);
        await DisposeClientsAsync();
    }

    private async Task SendAsync(SourceRecord record)
    {
        var entry = _submitted.Submit(record.SourcePartition, record.SourceOffset);
        var op = _retryWithToleranceOperator!;
        var context = new ProcessingContext(record);
        var transformed = _chain!.IsEmpty ? record : await _chain.ApplyAsync(record, context, op, StopToken);
        if (context.Failed)
        {
            AckWhenReported(entry, context.Reported);
            return;
        }
        if (transformed is null)
        {
            // Dropped by a transform: processed, so its offset may be committed.
            entry?.Ack();
            return;
        }
        context.Advance(transformed);
        // Kafka's ProducerRecord refuses a null topic, which fails the task; fail before topic creation is asked about it.
        var topic = transformed.Topic ?? throw new ArgumentException("Topic cannot be null.");
        await _topicCreation.EnsureAsync(topic, StopToken);
        var message = await ConvertTransformedRecordAsync(context, transformed);
        if (message is null)
        {
            AckWhenReported(entry, context.Reported);
            return;
        }
        context.ConvertedMessage = message;
        var size = (message.Key?.Length ?? 0) + (long)(message.Value?.Length ?? 0);
        await _inFlight.AcquireAsync(size, StopToken);
        // librdkafka copies key and value, so only a report to the dead letter queue (errors.tolerance=all) needs the
        // record and its converted bytes after Produce. Otherwise the report captures only the entry: a record in
        // flight then keeps its offset alive, not its Connect data and JSON, which would otherwise survive into the
        // older GC generations at high rates (more GC work and RSS).
        Action<DeliveryReport<byte[]?, byte[]?>> onDelivery = op.Tolerance == ToleranceType.All
            ? report =>
            {
                _inFlight.Release(size);
                if (report.Error.IsError) ProducerSendFailed(context, entry, new ProduceException<byte[]?, byte[]?>(report.Error, report));
                else Delivered(entry);
            }
            : report =>
            {
                _inFlight.Release(size);
                if (report.Error.IsError) ProducerSendFailed(null, entry, new ProduceException<byte[]?, byte[]?>(report.Error, report));
                else Delivered(entry);
            };
        while (true)
        {
            try
            {
                if (transformed.KafkaPartition is { } partition)
                    _producer!.Produce(new Confluent.Kafka.TopicPartition(topic, partition), message, onDelivery);
                else
                    _producer!.Produce(topic, message, onDelivery);
                return;
            }
            catch (ProduceException<byte[]?, byte[]?> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                // The shared producer's queue is full of several busy tasks' records (or the user shrank it). A broker
                // that stopped answering keeps it full until the records time out: then fail instead of waiting on.
                ThrowIfSendFailed();
                await Task.Delay(5, StopToken);
            }
            catch (Exception e) when (e is KafkaException or ArgumentException)
            {
                // Refused before sending (too large, unknown partition...): no delivery report will come.
                _inFlight.Release(size);
                // A producer broken by a fatal error refuses every record: that is no record's fault to tolerate.
                if (op.Tolerance != ToleranceType.All || _producer!.FatalError is not null)
                {
                    Metrics.ProducerRecordFailed(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                    throw new Connect.Errors.ConnectException("Unrecoverable exception trying to send", e);
                }
                ProducerSendFailed(context, entry, e);
                return;
            }
        }
    }

    private void Delivered(SubmittedRecords.Entry? entry)
    {
        Metrics.SourceRecordWritten();
        entry?.Ack();
    }

    /// <summary>Fails the task on a send that failed, or on its shared producer broken by a fatal error (even when
    /// idle: it could not send again; the restart leases a new producer).</summary>
    private void ThrowIfSendFailed()
    {
        var error = _sendError ?? (_producer?.FatalError is { } fatal ? new KafkaException(fatal) : null);
        if (error is not null) throw new Connect.Errors.ConnectException("Unrecoverable exception from producer send callback", error);
    }

    /// <summary>Connect's convertTransformedRecord: headers, key and value through the converters, each as an
    /// operation of the retry/tolerance operator. Null when a conversion failed and the failure was tolerated.</summary>
    private async ValueTask<Message<byte[]?, byte[]?>?> ConvertTransformedRecordAsync(ProcessingContext context, SourceRecord record)
    {
        var op = _retryWithToleranceOperator!;
        // Static lambdas with the inputs as state: no closure or delegate per record.
        var state = (Task: this, Record: record);
        var headers = await op.ExecuteAsync(context, static s => s.Task.ConvertHeaders(s.Record), state, Stage.HeaderConverter, _headerConverterClass, StopToken);
        var key = await op.ExecuteAsync(context, static s => s.Task._keyConverter!.FromConnectData(s.Record.Topic, s.Record.Headers, s.Record.KeySchema, s.Record.Key),
            state, Stage.KeyConverter, _keyConverterClass, StopToken);
        var value = await op.ExecuteAsync(context, static s => s.Task._valueConverter!.FromConnectData(s.Record.Topic, s.Record.Headers, s.Record.ValueSchema, s.Record.Value),
            state, Stage.ValueConverter, _valueConverterClass, StopToken);
        if (context.Failed) return null;
        return new Message<byte[]?, byte[]?>
        {
            Key = key,
            Value = value,
            Headers = headers,
            Timestamp = record.Timestamp is { } ts ? new Timestamp(ts, TimestampType.CreateTime) : default,
        };
    }

    private Headers? ConvertHeaders(SourceRecord record)
    {
        if (record.Headers.Count == 0) return null;
        var headers = new Headers();
        foreach (var header in record.Headers)
            headers.Add(header.Key, _headerConverter!.FromConnectHeader(record.Topic, header.Key, header.Schema, header.Value));
        return headers;
    }

    /// <summary>A produce that failed (delivery report or refused send). With errors.tolerance=all the record is
    /// reported and counts as processed once reported (Connect commits it too); otherwise the task fails.</summary>
    private void ProducerSendFailed(ProcessingContext? context, SubmittedRecords.Entry? entry, Exception error)
    {
        var op = _retryWithToleranceOperator!;
        if (op.Tolerance != ToleranceType.All || _producer?.FatalError is not null || context is null)
        {
            // Connect counts an untolerated produce failure nowhere but in its producer's record-error-total; here the
            // producer is shared, so the task counts it (a record that failed to be written, e.g. delivery.timeout.ms).
            Metrics.ProducerRecordFailed(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            _sendError ??= error;
            return;
        }
        Logger.LogDebug(error, "Task {Connector}-{Task} skips a record it could not send to {Topic} (errors.tolerance=all)",
            Id.Connector, Id.Task, context.SourceRecord?.Topic);
        try
        {
            AckWhenReported(entry, op.ExecuteFailed(context, Stage.KafkaProduce, RetryWithToleranceOperator.SourceTaskClass, error));
        }
        catch (Exception e)
        {
            _sendError ??= e;
        }
    }

    /// <summary>A failed record's offset may be committed once its failure is reported (in the dead letter queue);
    /// a report that fails fails the task instead, so the record is neither lost nor skipped silently.</summary>
    private void AckWhenReported(SubmittedRecords.Entry? entry, Task reported)
    {
        if (reported.IsCompletedSuccessfully)
        {
            entry?.Ack();
            return;
        }
        reported.ContinueWith(t =>
        {
            if (t.IsCompletedSuccessfully) entry?.Ack();
            else _sendError ??= t.Exception?.GetBaseException() ?? new Connect.Errors.ConnectException("A failed record could not be reported");
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task CommitPeriodicallyAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Worker.OffsetFlushInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    await CommitOffsetsAsync(cancellationToken);
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
                    // A failed or timed-out commit is retried at the next interval; the records are not lost, only re-sent
                    // after a crash.
                    Logger.LogWarning(e, "Offset commit of task {Connector}-{Task} failed", Id.Connector, Id.Task);
                    Metrics.OffsetCommitFailed();
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>Commits the offsets of every acknowledged prefix: the number of records they cover, or -1 when the
    /// fence refused the commit.</summary>
    private async Task<int> CommitOffsetsAsync(CancellationToken cancellationToken)
    {
        await _commitLock.WaitAsync(cancellationToken);
        try
        {
            if (await IsFencedAsync(cancellationToken)) return -1;
            var committable = _submitted.TakeCommittable(out var records);
            if (committable.Count == 0) return 0;
            var committing = Stopwatch.GetTimestamp();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Worker.OffsetFlushTimeout);
            await Worker.OffsetStore.WriteAsync(Id.Connector, committable, timeout.Token);
            await _task.CommitAsync(cancellationToken);
            Metrics.OffsetCommitCompleted(Stopwatch.GetElapsedTime(committing).TotalMilliseconds);
            Logger.LogDebug("Committed {Count} source partition offsets of {Connector}-{Task}", committable.Count, Id.Connector, Id.Task);
            return records;
        }
        finally
        {
            _commitLock.Release();
        }
    }

    /// <summary>As Kafka's WorkerSourceTask when it is not exactly-once: records Kafka acknowledged before the failure
    /// stay written, so their offsets are committed (after waiting up to offset.flush.timeout.ms for those still in
    /// flight) and the automatic restart resumes after them. A poison record (too large for the broker, say) is then the
    /// first record every restart sends again, and no retry repeats the records before it.</summary>
    protected override async Task<string?> CommitAfterFailureAsync()
    {
        if (!_started || _producer is null || _retryWithToleranceOperator is null) return null;
        var delivered = await _producer.WhenDeliveredAsync(Worker.OffsetFlushTimeout);
        await _retryWithToleranceOperator.AwaitReportsAsync(Worker.OffsetFlushTimeout);
        int committed;
        try
        {
            committed = await CommitOffsetsAsync(CancellationToken.None);
        }
        catch (Exception e)
        {
            Logger.LogWarning(e, "Task {Connector}-{Task} could not commit the offsets of its acknowledged records after failing", Id.Connector, Id.Task);
            Metrics.OffsetCommitFailed();
            return "OrleansConnect could not commit the offsets of the records Kafka acknowledged before this failure " +
                $"({e.GetType().Name}: {e.Message}); the restart sends them again.";
        }
        var pending = _submitted.Pending;
        Logger.LogInformation("Task {Connector}-{Task} failed; committed the offsets of {Committed} acknowledged records, {Pending} records left to send again",
            Id.Connector, Id.Task, Math.Max(committed, 0), pending);
        if (committed < 0)
            return "OrleansConnect did not commit after this failure: a newer activation of the task runs elsewhere.";
        var unacknowledged = delivered ? "" : $" ({_producer.InFlight} still in flight after offset.flush.timeout.ms)";
        return (committed > 0
                ? $"OrleansConnect committed the offsets of the {committed} records Kafka acknowledged before this failure"
                : "No record was acknowledged since the last offset commit, so offsets stay committed up to the last acknowledged record")
            + $"; the restart resumes after it, so the record that failed is the first one sent again ({pending} sent records were not acknowledged{unacknowledged}).";
    }

    protected override async Task CleanupAfterFailureAsync()
    {
        if (_started)
        {
            try { await _task.StopAsync(CancellationToken.None); }
            catch (Exception e) { Logger.LogWarning(e, "Task {Connector}-{Task} failed to stop", Id.Connector, Id.Task); }
        }
        await DisposeClientsAsync();
    }

    private async Task DisposeClientsAsync()
    {
        var producer = _producer;
        _producer = null;
        if (producer is not null) await producer.DisposeAsync();
        _chain?.Dispose();
        if (_retryWithToleranceOperator is not null) await _retryWithToleranceOperator.DisposeAsync();
    }

    private sealed class SourceTaskContext(IReadOnlyDictionary<string, string> configs, IOffsetStorageReader reader) : ISourceTaskContext
    {
        public IReadOnlyDictionary<string, string> Configs => configs;
        public IOffsetStorageReader OffsetStorageReader => reader;
    }
}
