using System.Diagnostics;
using Confluent.Kafka;
using ErrorCode = Confluent.Kafka.ErrorCode;
using Microsoft.Extensions.Logging;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Connect.Header;
using OrleansConnect.Connect.Sink;
using OrleansConnect.Connect.Storage;
using OrleansConnect.Grains.Config;
using OrleansConnect.Grains.Errors;
using OrleansConnect.Grains.Interfaces.Models;
using OrleansConnect.Grains.Kafka;
using SinkTopicPartition = OrleansConnect.Connect.Sink.TopicPartition;

namespace OrleansConnect.Grains.Worker;

/// <summary>Sink task loop: consume (group connect-&lt;name&gt;) → convert → transform → put; every
/// offset.flush.interval.ms and at stop: flush (preCommit) → commit. Only offsets the task has flushed are
/// committed, so a crash repeats records at most and never loses one. Conversion and transformation run through
/// the <see cref="RetryWithToleranceOperator"/> (errors.* keys): a record whose failure is tolerated is reported
/// (log, dead letter queue) and committed past once the report is durable. A RetriableException from put() pauses
/// the consumer and delivers the same records again after the task's context.Timeout (at once when it set none), with
/// nothing committed past them, as Kafka's WorkerSinkTask does; any other put() failure fails the task.</summary>
public sealed class WorkerSinkTask : WorkerTask
{
    /// <summary>Kafka's consumer default for <c>max.poll.records</c>: the most records one put gets.</summary>
    internal const int DefaultMaxPollRecords = 500;
    private int _maxPollRecords = DefaultMaxPollRecords;

    private readonly SinkTask _task;
    private readonly IReadOnlyDictionary<string, string> _connectorConfig;
    private readonly IReadOnlyDictionary<string, string> _taskConfig;
    private readonly Dictionary<SinkTopicPartition, OffsetAndMetadata> _currentOffsets = [];
    private readonly HashSet<SinkTopicPartition> _assignment = [];
    private readonly HashSet<SinkTopicPartition> _pausedByTask = [];
    private readonly List<SinkTopicPartition> _newlyAssigned = [];
    private readonly List<SinkTopicPartition> _revoked = [];
    private readonly HashSet<string> _seenTopics = new(StringComparer.Ordinal);
    private readonly Lock _topicsGate = new();
    private IConverter? _keyConverter;
    private IConverter? _valueConverter;
    private IHeaderConverter? _headerConverter;
    private TransformationChain<SinkRecord>? _chain;
    private RetryWithToleranceOperator? _retryWithToleranceOperator;
    private WorkerErrantRecordReporter? _errantRecordReporter;
    private string _keyConverterClass = "";
    private string _valueConverterClass = "";
    private string _headerConverterClass = "";
    // Partitions the task rewound (context.Offset) during the current put: its offsets win over the batch's.
    private readonly HashSet<SinkTopicPartition> _rewound = [];
    private IConsumer<byte[]?, byte[]?>? _consumer;
    private bool _consumerPaused;
    private bool _commitRequested;
    // The batch a put refused with RetriableException: delivered again (the same SinkRecords, as Kafka keeps its
    // messageBatch) once _redeliverAt passed; the consumer stays paused meanwhile and its offsets are not committed.
    private PendingBatch? _redelivery;
    private DateTime _redeliverAt;
    // context.Timeout: the backoff before the next redelivery, used once (Kafka resets it to -1 when it reads it).
    private long _retryTimeoutMs = -1;
    private bool _started;

    public WorkerSinkTask(ConnectorTaskId id, SinkTask task, IReadOnlyDictionary<string, string> connectorConfig,
        IReadOnlyDictionary<string, string> taskConfig, ConnectWorker worker, ILogger logger) : base(id, worker, logger)
    {
        _task = task;
        _connectorConfig = connectorConfig;
        _taskConfig = taskConfig;
    }

    public IReadOnlyCollection<string> ActiveTopics
    {
        get { lock (_topicsGate) return _seenTopics.ToList(); }
    }

    /// <summary>Forgets the active topics: each is reported again with its next record (topics/reset).</summary>
    public void ResetActiveTopics()
    {
        lock (_topicsGate) _seenTopics.Clear();
    }

    public static string GroupIdOf(string connector, IReadOnlyDictionary<string, string> connectorConfig) =>
        connectorConfig.TryGetValue("consumer.override.group.id", out var id) && !string.IsNullOrWhiteSpace(id) ? id : $"connect-{connector}";

    /// <summary>Records read since the last commit that covered them (sink-record-active-count): the read total less
    /// what it was when the last successful commit took its snapshot.</summary>
    public override long ActiveRecordCount() => Metrics.SinkRecordRead - Volatile.Read(ref _readAtLastCommit);

    private long _readAtLastCommit;

    protected override async Task ExecuteAsync()
    {
        _keyConverter = ConverterFactory.CreateConverter(Worker, _connectorConfig, isKey: true);
        _valueConverter = ConverterFactory.CreateConverter(Worker, _connectorConfig, isKey: false);
        _headerConverter = ConverterFactory.CreateHeaderConverter(Worker, _connectorConfig);
        _keyConverterClass = RetryWithToleranceOperator.ClassNameOf(_keyConverter);
        _valueConverterClass = RetryWithToleranceOperator.ClassNameOf(_valueConverter);
        _headerConverterClass = RetryWithToleranceOperator.ClassNameOf(_headerConverter);
        _chain = TransformationChain<SinkRecord>.Create(Worker.Plugins, _connectorConfig);
        _retryWithToleranceOperator = await ErrorReporters.CreateOperatorAsync(Worker, Id, _connectorConfig, StopToken);
        _retryWithToleranceOperator.Metrics = Metrics;
        if (_retryWithToleranceOperator.Config.EnablesErrantRecordReporter)
            _errantRecordReporter = new WorkerErrantRecordReporter(_retryWithToleranceOperator, _keyConverter, _valueConverter, _headerConverter);
        var consumerConfig = ConsumerConfig();
        _maxPollRecords = MaxPollRecordsOf(Worker, _connectorConfig);
        // The paused-lag probe keeps the statistics' pace.
        _lagProbeInterval = TimeSpan.FromMilliseconds(
            int.TryParse(consumerConfig.GetValueOrDefault("statistics.interval.ms"), out var statsMs) && statsMs > 0 ? statsMs : 5000);
        _consumer = KafkaClients.BuildConsumer(consumerConfig,
            onRevoked: (_, partitions) => { lock (_revoked) _revoked.AddRange(partitions.Select(p => new SinkTopicPartition(p.Topic, p.Partition.Value))); },
            onAssigned: (_, partitions) =>
            {
                // As Kafka Connect logs it: when a sink starts consuming is the group's doing, and worth seeing.
                Logger.LogInformation("Task {Connector}-{Task} was assigned {Count} partitions by group {Group}",
                    Id.Connector, Id.Task, partitions.Count, GroupIdOf(Id.Connector, _connectorConfig));
                lock (_revoked) _newlyAssigned.AddRange(partitions.Select(p => new SinkTopicPartition(p.Topic, p.Partition.Value)));
            },
            log: (_, log) => Logger.LogDebug("librdkafka {Facility}: {Message}", log.Facility, log.Message),
            statistics: (_, json) => Metrics.ConsumerStatistics(json));
        Metrics.ConsumerClientId = consumerConfig["client.id"];

        _task.Initialize(new SinkTaskContext(this));
        await _task.StartAsync(_taskConfig, StopToken);
        _started = true;
        Subscribe();
        MarkRunning();

        var nextCommit = DateTime.UtcNow + Worker.OffsetFlushInterval;
        var idleDelay = 1;
        var batch = new List<ConsumeResult<byte[]?, byte[]?>>(Math.Min(_maxPollRecords, 10_000));
        while (!IsStopping)
        {
            await HandleRebalanceAsync();
            ApplyPause();
            Metrics.ConsumerPaused = _consumerPaused || _redelivery is not null;
            if (_consumerPaused || _redelivery is not null) await ProbeLagWhilePausedAsync();
            if (_redelivery is { } pending)
            {
                if (!await RetryPendingAsync(pending)) break;
            }
            else
            {
                batch.Clear();
                // Consume(0) never blocks: the loop stays async and an idle sink holds no thread.
                while (batch.Count < _maxPollRecords && TryConsume() is { } result)
                {
                    if (result.IsPartitionEOF) continue;
                    batch.Add(result);
                }
                if (batch.Count > 0)
                {
                    idleDelay = 1;
                    try
                    {
                        await DeliverAsync(batch);
                    }
                    catch (OperationCanceledException) when (IsStopping)
                    {
                        // Stopped while retrying or in put: nothing of this batch is committed, it is consumed again.
                        break;
                    }
                }
                else
                {
                    await HandleRebalanceAsync();
                    try { await Task.Delay(idleDelay, StopToken); }
                    catch (OperationCanceledException) { break; }
                    idleDelay = Math.Min(idleDelay * 2, 100);
                }
            }
            if (_commitRequested || DateTime.UtcNow >= nextCommit)
            {
                _commitRequested = false;
                await CommitAsync();
                nextCommit = DateTime.UtcNow + Worker.OffsetFlushInterval;
            }
        }

        await CommitAsync();
        await _task.CloseAsync(_assignment.ToList(), CancellationToken.None);
        await _task.StopAsync(CancellationToken.None);
        var consumer = _consumer;
        _consumer = null;
        await KafkaBlocking.Run(() => { consumer.Close(); consumer.Dispose(); });
        _chain.Dispose();
        await _retryWithToleranceOperator.DisposeAsync();
    }

    /// <summary>One non-blocking poll. A subscribed topic that does not exist yet is not an error: the task waits
    /// for it, as Kafka Connect's sink does (librdkafka reports it as a consume error).</summary>
    private ConsumeResult<byte[]?, byte[]?>? TryConsume()
    {
        try
        {
            return _consumer!.Consume(TimeSpan.Zero);
        }
        catch (ConsumeException e) when (e.Error.Code is ErrorCode.UnknownTopicOrPart or ErrorCode.Local_UnknownTopic or ErrorCode.TopicException
                                         || (!e.Error.IsFatal && e.ConsumerRecord is null && e.Error.Code == ErrorCode.Local_UnknownPartition))
        {
            if (!_missingTopicLogged)
            {
                Logger.LogInformation("Task {Connector}-{Task} waits for its topics: {Reason}", Id.Connector, Id.Task, e.Error.Reason);
                _missingTopicLogged = true;
            }
            return null;
        }
    }

    private bool _missingTopicLogged;

    private void Subscribe()
    {
        var topics = _connectorConfig.GetValueOrDefault(ConnectorConfig.Topics, "").Split(',').Select(t => t.Trim()).Where(t => t.Length > 0).ToList();
        var regex = _connectorConfig.GetValueOrDefault(ConnectorConfig.TopicsRegex, "").Trim();
        // librdkafka treats a subscription starting with '^' as a regex; Connect's regex must match whole names.
        // A topics list is subscribed as an anchored regex too: a subscription by name makes brokers with topic
        // auto-creation (and the embedded broker, always) create a missing topic with default settings before its
        // source connector could create it as configured.
        var pattern = regex.Length > 0 ? regex : string.Join("|", topics.Select(t => t.Replace(".", "\\.")));
        // librdkafka's regex engine (POSIX-like) has no non-capturing groups.
        _consumer!.Subscribe("^(" + pattern + ")$");
    }

    private async Task HandleRebalanceAsync()
    {
        List<SinkTopicPartition> assigned, revoked;
        lock (_revoked)
        {
            assigned = [.. _newlyAssigned];
            revoked = [.. _revoked];
            _newlyAssigned.Clear();
            _revoked.Clear();
        }
        if (revoked.Count > 0)
        {
            // Records of revoked partitions that were put but not flushed are re-consumed by the new owner:
            // at most a repeat, never a loss.
            foreach (var tp in revoked)
            {
                _assignment.Remove(tp);
                Metrics.PartitionCount = _assignment.Count;
                _currentOffsets.Remove(tp);
                _pausedByTask.Remove(tp);
            }
            if (_redelivery is { } pending) DropRevokedFromRedelivery(pending, revoked);
            await _task.CloseAsync(revoked, StopToken);
        }
        if (assigned.Count > 0)
        {
            foreach (var tp in assigned) _assignment.Add(tp);
            Metrics.PartitionCount = _assignment.Count;
            _consumerPaused = false;
            // While a batch waits for redelivery nothing new is fetched, from new partitions either.
            if (_redelivery is not null)
                _consumer!.Pause(assigned.Select(tp => new Confluent.Kafka.TopicPartition(tp.Topic, tp.Partition)));
            await _task.OpenAsync(assigned, StopToken);
        }
    }

    /// <summary>The new owner of a revoked partition reads its records again from the last commit: they leave the
    /// pending batch (Kafka does the same). With nothing left to redeliver the consumer resumes.</summary>
    private void DropRevokedFromRedelivery(PendingBatch pending, List<SinkTopicPartition> revoked)
    {
        var gone = revoked.ToHashSet();
        pending.Records.RemoveAll(r => gone.Contains(new SinkTopicPartition(r.OriginalTopic ?? r.Topic ?? "", r.OriginalKafkaPartition ?? r.Partition)));
        foreach (var tp in revoked) pending.Offsets.Remove(tp);
        if (pending.Records.Count == 0 && pending.Offsets.Count == 0) EndRedelivery();
    }

    private DateTime _nextLagProbe;
    private TimeSpan _lagProbeInterval;

    /// <summary>A paused consumer fetches nothing, so librdkafka's statistics stop seeing the log end grow. While paused,
    /// the lag is read from the partitions' high watermarks (one request per leader, off the thread pool) at the
    /// statistics interval: an on-call engineer sees a paused sink fall behind.</summary>
    private async Task ProbeLagWhilePausedAsync()
    {
        if (DateTime.UtcNow < _nextLagProbe) return;
        _nextLagProbe = DateTime.UtcNow + _lagProbeInterval;
        var consumer = _consumer!;
        try
        {
            var lag = await KafkaBlocking.Run(() => consumer.Assignment.ToDictionary(
                tp => (tp.Topic, tp.Partition.Value),
                tp =>
                {
                    var high = consumer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(5)).High.Value;
                    var position = consumer.Position(tp).Value;
                    return position >= 0 && high >= 0 ? Math.Max(0, high - position) : 0;
                }), StopToken);
            Metrics.SetConsumerLag(lag);
        }
        catch (KafkaException e)
        {
            Logger.LogDebug(e, "Task {Connector}-{Task} could not read its partitions' log ends while paused", Id.Connector, Id.Task);
        }
    }

    private void ApplyPause()
    {
        var consumer = _consumer!;
        var assignment = consumer.Assignment;
        if (assignment.Count == 0) return;
        if (IsPaused && !_consumerPaused)
        {
            consumer.Pause(assignment);
            _consumerPaused = true;
        }
        else if (!IsPaused && _consumerPaused && _redelivery is null)
        {
            consumer.Resume(assignment.Where(tp => !_pausedByTask.Contains(new SinkTopicPartition(tp.Topic, tp.Partition.Value))));
            _consumerPaused = false;
        }
    }

    private async Task DeliverAsync(List<ConsumeResult<byte[]?, byte[]?>> batch)
    {
        var records = new List<SinkRecord>(batch.Count);
        // Offsets move past the batch only once put succeeded: a stop or failure before leaves them where they were.
        var batchOffsets = new Dictionary<SinkTopicPartition, long>();
        // librdkafka hands out a partition's records in runs: a run's offsets and topic are noted once, when it ends,
        // rather than a dictionary write and a lock per record.
        string? runTopic = null;
        var runPartition = -1;
        long runNext = 0;
        foreach (var result in batch)
        {
            var consumed = ConsumerRecord.From(result);
            var transformed = await ConvertAndTransformAsync(consumed);
            if (transformed is not null)
            {
                records.Add(transformed);
                _errantRecordReporter?.Remember(transformed, consumed);
            }
            if (consumed.Partition != runPartition || !string.Equals(consumed.Topic, runTopic, StringComparison.Ordinal))
            {
                EndRun(batchOffsets, runTopic, runPartition, runNext);
                runTopic = consumed.Topic;
                runPartition = consumed.Partition;
            }
            runNext = consumed.Offset + 1;
        }
        EndRun(batchOffsets, runTopic, runPartition, runNext);
        Metrics.SinkRecordsRead(batch.Count);
        await PutAsync(new PendingBatch(records, batchOffsets));
    }

    /// <summary>Puts a batch and moves the offsets past it; a RetriableException keeps the batch for redelivery instead
    /// (Kafka's deliverMessages).</summary>
    private async Task PutAsync(PendingBatch batch)
    {
        _rewound.Clear();
        var records = batch.Records;
        if (records.Count > 0)
        {
            // A silo frozen past the death timeout was replaced meanwhile: on waking it must not write what it consumed
            // before (the replacement writes it). A clock comparison unless the confirmation expired.
            if (!MayPublishNow && !await WaitUntilMayPublishAsync()) throw new OperationCanceledException(StopToken);
            var putting = Stopwatch.GetTimestamp();
            try
            {
                await _task.PutAsync(records, StopToken);
            }
            catch (RetriableException e) when (!IsStopping)
            {
                PauseForRedelivery(batch, e);
                return;
            }
            Metrics.Batch(Stopwatch.GetElapsedTime(putting).TotalMilliseconds, records.Count);
            Metrics.SinkRecordsSent(records.Count);
        }
        foreach (var (tp, offset) in batch.Offsets)
            if (!_rewound.Contains(tp)) _currentOffsets[tp] = new OffsetAndMetadata(offset);
        if (_redelivery is not null) EndRedelivery();
    }

    private void PauseForRedelivery(PendingBatch batch, RetriableException error)
    {
        var timeout = Interlocked.Exchange(ref _retryTimeoutMs, -1);
        _redeliverAt = timeout > 0 ? DateTime.UtcNow.AddMilliseconds(timeout) : DateTime.UtcNow;
        if (_redelivery is null)
        {
            // New records would come after the batch that must go first: the consumer fetches nothing until it went.
            // It is still polled (Consume(0)) so the task keeps its group membership and sees rebalances.
            var consumer = _consumer!;
            var assignment = consumer.Assignment;
            if (assignment.Count > 0) consumer.Pause(assignment);
        }
        _redelivery = batch;
        Logger.LogWarning(error, "Task {Connector}-{Task} put threw a RetriableException: the same {Count} records are delivered again in {Delay} ms, nothing is committed past them meanwhile",
            Id.Connector, Id.Task, batch.Records.Count, Math.Max(0, timeout));
    }

    private void EndRedelivery()
    {
        _redelivery = null;
        // Resumes what the redelivery paused; a paused connector (target state) or partitions the task paused stay paused.
        if (IsPaused || _consumerPaused) return;
        var consumer = _consumer!;
        consumer.Resume(consumer.Assignment.Where(tp => !_pausedByTask.Contains(new SinkTopicPartition(tp.Topic, tp.Partition.Value))));
    }

    /// <summary>One loop turn while a batch waits for redelivery: keeps polling the paused consumer, then delivers the
    /// batch again once its backoff passed (not while the connector is paused). False when the task is stopping.</summary>
    private async Task<bool> RetryPendingAsync(PendingBatch pending)
    {
        // A record fetched before the pause (or from a partition assigned since) goes back: it comes after the batch.
        while (TryConsume() is { } early)
        {
            if (early.IsPartitionEOF) continue;
            _consumer!.Seek(early.TopicPartitionOffset);
            _consumer.Pause([early.TopicPartition]);
        }
        var wait = _redeliverAt - DateTime.UtcNow;
        if (IsPaused || wait > TimeSpan.Zero)
        {
            try { await Task.Delay(IsPaused || wait > TimeSpan.FromMilliseconds(100) ? TimeSpan.FromMilliseconds(100) : wait, StopToken); }
            catch (OperationCanceledException) { return false; }
            return !IsStopping;
        }
        try
        {
            await PutAsync(pending);
        }
        catch (OperationCanceledException) when (IsStopping)
        {
            return false;
        }
        return !IsStopping;
    }

    /// <summary>Records handed to put and the offsets to commit once put took them.</summary>
    private sealed record PendingBatch(List<SinkRecord> Records, Dictionary<SinkTopicPartition, long> Offsets);

    private void EndRun(Dictionary<SinkTopicPartition, long> batchOffsets, string? topic, int partition, long next)
    {
        if (topic is null) return;
        batchOffsets[new SinkTopicPartition(topic, partition)] = next;
        lock (_topicsGate) _seenTopics.Add(topic);
    }

    /// <summary>Connect's convertAndTransformRecord: headers, key and value through the converters, then the
    /// transformations, each as an operation of the retry/tolerance operator. Null when the record was dropped by a
    /// transformation or failed with the failure tolerated (reported, and committed past like a processed one).</summary>
    private async ValueTask<SinkRecord?> ConvertAndTransformAsync(ConsumerRecord consumed)
    {
        var op = _retryWithToleranceOperator!;
        var context = new ProcessingContext(consumed);
        var topic = consumed.Topic;
        // Static lambdas with the inputs as state: no closure or delegate per record.
        var headers = await op.ExecuteAsync(context, static s => s.Task.ConvertHeaders(s.Consumed), (Task: this, Consumed: consumed),
            Stage.HeaderConverter, _headerConverterClass, StopToken);
        var state = (Task: this, Consumed: consumed, Headers: headers);
        var key = await op.ExecuteAsync(context, static s => s.Task._keyConverter!.ToConnectData(s.Consumed.Topic, s.Headers, s.Consumed.Key), state,
            Stage.KeyConverter, _keyConverterClass, StopToken);
        var value = await op.ExecuteAsync(context, static s => s.Task._valueConverter!.ToConnectData(s.Consumed.Topic, s.Headers, s.Consumed.Value), state,
            Stage.ValueConverter, _valueConverterClass, StopToken);
        if (context.Failed || headers is null) return null;
        var record = new SinkRecord(topic, consumed.Partition, key.Schema, key.Value, value.Schema, value.Value,
            consumed.Offset, consumed.Timestamp, consumed.TimestampType, headers);
        return _chain!.IsEmpty ? record : await _chain.ApplyAsync(record, context, op, StopToken);
    }

    private ConnectHeaders ConvertHeaders(ConsumerRecord consumed)
    {
        var headers = new ConnectHeaders();
        foreach (var (key, value) in consumed.Headers)
            headers.Add(key, _headerConverter!.ToConnectHeader(consumed.Topic, key, value));
        return headers;
    }

    private async Task CommitAsync()
    {
        // Commits run between batches: everything read so far has been put and is in _currentOffsets.
        var read = Metrics.SinkRecordRead;
        if (_currentOffsets.Count == 0)
        {
            // Nothing this task owns is waiting (no records yet, or their partitions went to another task).
            Volatile.Write(ref _readAtLastCommit, read);
            return;
        }
        // Records committed past as failed must be in the dead letter queue first (a failed report fails the task).
        await _retryWithToleranceOperator!.AwaitReportsAsync(Worker.OffsetFlushTimeout);
        var snapshot = new Dictionary<SinkTopicPartition, OffsetAndMetadata>(_currentOffsets);
        var committable = await _task.PreCommitAsync(snapshot, CancellationToken.None);
        var offsets = committable
            .Where(kv => _assignment.Contains(kv.Key) || _assignment.Count == 0)
            .Select(kv => new TopicPartitionOffset(kv.Key.Topic, kv.Key.Partition, kv.Value.Offset))
            .ToList();
        if (offsets.Count == 0 || await IsFencedAsync(CancellationToken.None)) return;
        var consumer = _consumer!;
        var committing = Stopwatch.GetTimestamp();
        try
        {
            await KafkaBlocking.Run(() => consumer.Commit(offsets));
        }
        catch (KafkaException e) when (e.Error.Code is ErrorCode.RebalanceInProgress or ErrorCode.IllegalGeneration
                                       or ErrorCode.UnknownMemberId or ErrorCode.Local_State)
        {
            // As Kafka Connect: a commit refused during a rebalance is retried at the next interval (the records are
            // re-read by whoever owns the partitions then, never lost).
            Logger.LogWarning("Offset commit of {Connector}-{Task} skipped: {Reason}", Id.Connector, Id.Task, e.Error.Reason);
            Metrics.OffsetCommitSkipped();
            return;
        }
        catch (KafkaException)
        {
            Metrics.OffsetCommitFailed();
            throw;
        }
        Metrics.OffsetCommitCompleted(Stopwatch.GetElapsedTime(committing).TotalMilliseconds);
        Volatile.Write(ref _readAtLastCommit, read);
        Logger.LogDebug("Committed offsets of {Count} partitions for {Connector}-{Task}", offsets.Count, Id.Connector, Id.Task);
    }

    private Dictionary<string, string> ConsumerConfig() =>
        ConsumerConfigOf(Worker, Id.Connector, _connectorConfig, $"connector-consumer-{Id.Connector}-{Id.Task}");

    /// <summary>The settings of a sink's consumers (its tasks' and the offsets API's): defaults, then the worker's
    /// consumer.* settings and the connector's consumer.override.*, then what the framework insists on.
    /// <para>On the embedded broker the group speaks KIP-848's consumer protocol unless group.protocol is set: its mock
    /// coordinator assigns a joining or leaving member's partitions within a heartbeat (1 s there), where the classic
    /// protocol holds every rebalance for the session timeout less a second. The consumer protocol takes its session
    /// timeout and heartbeat from the broker, and refuses the client settings for them.</para></summary>
    internal static Dictionary<string, string> ConsumerConfigOf(ConnectWorker worker, string connector, IReadOnlyDictionary<string, string> connectorConfig,
        string clientId)
    {
        var configured = ConfiguredConsumer(worker, connectorConfig);
        // A Java consumer setting that librdkafka lacks: the task loop applies it (MaxPollRecordsOf).
        configured.Remove(MaxPollRecords);
        var protocol = configured.GetValueOrDefault("group.protocol") ?? (worker.EmbeddedBroker is not null ? "consumer" : "classic");
        var defaults = new Dictionary<string, string?>
        {
            ["auto.offset.reset"] = "earliest",
            // Regex subscriptions see new topics at metadata refreshes.
            ["topic.metadata.refresh.interval.ms"] = "5000",
            // librdkafka's statistics carry each partition's consumer lag, which /metrics reports.
            ["statistics.interval.ms"] = "5000",
            // librdkafka stops fetching a partition while the consumer's queue holds queued.min.messages (100,000) and
            // then waits fetch.queue.backoff.ms (1 s by default) before it looks again: a sink that kept up drained its
            // queue and sat idle for most of that second (bench/run.sh: 1M records at ~135k/s, idle ~70 % of the time).
            // Looking again after 10 ms keeps the fetches going. Overridable like any consumer setting.
            ["fetch.queue.backoff.ms"] = "10",
        };
        if (protocol.Trim().Equals("consumer", StringComparison.OrdinalIgnoreCase))
        {
            defaults["group.protocol"] = "consumer";
        }
        else
        {
            // A task that died (or moved) keeps its partitions until its session expires: 10 s rather than
            // Kafka's 45 s lets a replacement consume again within seconds. Overridable like any consumer setting.
            defaults["session.timeout.ms"] = "10000";
            defaults["heartbeat.interval.ms"] = "3000";
        }
        return KafkaClients.Merge(
            defaults,
            configured.ToDictionary(kv => kv.Key, kv => (string?)kv.Value),
            new Dictionary<string, string?>
            {
                ["bootstrap.servers"] = worker.BootstrapServers,
                ["group.id"] = GroupIdOf(connector, connectorConfig),
                ["enable.auto.commit"] = "false",
                ["client.id"] = clientId,
            });
    }

    private const string MaxPollRecords = "max.poll.records";

    private static Dictionary<string, string> ConfiguredConsumer(ConnectWorker worker, IReadOnlyDictionary<string, string> connectorConfig) =>
        KafkaClients.Merge(worker.Config.ClientConfigs("consumer"), ClientOverrides.Of(worker, connectorConfig, "consumer"));

    /// <summary>The most records one put gets: the consumer's <c>max.poll.records</c> (worker <c>consumer.max.poll.records</c>,
    /// connector <c>consumer.override.max.poll.records</c>), 500 by default as in Kafka. A sink that writes in batches
    /// (the JDBC sink's batch.size) needs it at least as large to fill them, as in Kafka Connect.</summary>
    internal static int MaxPollRecordsOf(ConnectWorker worker, IReadOnlyDictionary<string, string> connectorConfig)
    {
        if (ConfiguredConsumer(worker, connectorConfig).GetValueOrDefault(MaxPollRecords) is not { } text) return DefaultMaxPollRecords;
        return int.TryParse(text.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new ConnectException($"Invalid value {text} for configuration max.poll.records: must be a positive integer");
    }

    protected override async Task CleanupAfterFailureAsync()
    {
        if (_started)
        {
            try { await _task.StopAsync(CancellationToken.None); }
            catch (Exception e) { Logger.LogWarning(e, "Task {Connector}-{Task} failed to stop", Id.Connector, Id.Task); }
        }
        var consumer = _consumer;
        _consumer = null;
        if (consumer is not null) await KafkaBlocking.Run(() => { consumer.Close(); consumer.Dispose(); });
        _chain?.Dispose();
        if (_retryWithToleranceOperator is not null) await _retryWithToleranceOperator.DisposeAsync();
    }

    private sealed class SinkTaskContext(WorkerSinkTask owner) : ISinkTaskContext
    {
        public IReadOnlyDictionary<string, string> Configs => owner._taskConfig;

        public void Offset(IReadOnlyDictionary<SinkTopicPartition, long> offsets)
        {
            foreach (var (tp, offset) in offsets) Offset(tp, offset);
        }

        public void Offset(SinkTopicPartition tp, long offset)
        {
            owner._consumer?.Seek(new TopicPartitionOffset(tp.Topic, tp.Partition, offset));
            owner._currentOffsets[tp] = new OffsetAndMetadata(offset);
            owner._rewound.Add(tp);
        }

        public void Timeout(long timeoutMs) => Interlocked.Exchange(ref owner._retryTimeoutMs, timeoutMs);

        public IReadOnlyCollection<SinkTopicPartition> Assignment() => owner._assignment.ToList();

        public void Pause(params SinkTopicPartition[] partitions)
        {
            foreach (var tp in partitions) owner._pausedByTask.Add(tp);
            owner._consumer?.Pause(partitions.Select(tp => new Confluent.Kafka.TopicPartition(tp.Topic, tp.Partition)));
        }

        public void Resume(params SinkTopicPartition[] partitions)
        {
            foreach (var tp in partitions) owner._pausedByTask.Remove(tp);
            if (!owner.IsPaused)
                owner._consumer?.Resume(partitions.Select(tp => new Confluent.Kafka.TopicPartition(tp.Topic, tp.Partition)));
        }

        public void RequestCommit() => owner._commitRequested = true;

        public IErrantRecordReporter? ErrantRecordReporter => owner._errantRecordReporter;
    }
}
