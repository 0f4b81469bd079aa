namespace OrleansConnect.Grains.Metrics;

/// <summary>One running task's counts for Connect's source-task, sink-task and connector-task metric groups. The task
/// loops add to plain fields (once per batch where they can, an interlocked add where librdkafka's threads report), and
/// <see cref="ConnectMetrics"/> reads them at scrape time: no per-record instrument call on the hot path.</summary>
public sealed class TaskMetrics(string connector, int task)
{
    /// <summary>For tasks run without a metrics registry (tests that build a loop directly).</summary>
    public static TaskMetrics None => new("", -1);

    private long _sourceRecordPoll;
    private long _sourceRecordWrite;
    private long _sinkRecordRead;
    private long _sinkRecordSend;
    private long _offsetCommitCompletion;
    private long _offsetCommitSkip;
    private long _offsetCommitFailure;
    private long _recordErrors;
    private long _recordFailures;
    private long _recordsSkipped;
    private long _retries;
    private long _errorsLogged;
    private long _dlqRequests;
    private long _dlqFailures;
    private long _lastErrorTimestamp;

    private readonly long _startMs = Environment.TickCount64;
    private readonly WindowedStat _batchTime = new();
    private readonly WindowedStat _batchSize = new();
    private readonly WindowedStat _commitTime = new();
    private CounterRate? _pollRate, _writeRate, _readRate, _sendRate, _commitCompletionRate, _commitSkipRate;
    private StateRatio? _states;

    public string Connector { get; } = connector;
    public int Task { get; } = task;

    /// <summary>A source poll or a sink put took <paramref name="elapsedMs"/> for <paramref name="size"/> records
    /// (poll-batch or put-batch time, and the connector-task batch size).</summary>
    public void Batch(double elapsedMs, int size)
    {
        var now = Environment.TickCount64;
        _batchTime.Record(elapsedMs, now);
        _batchSize.Record(size, now);
    }

    /// <summary>The task's Connect state changed (for running-ratio and pause-ratio).</summary>
    public void StateChanged(string state) =>
        LazyInitializer.EnsureInitialized(ref _states, () => new StateRatio(_startMs)).Changed(state, Environment.TickCount64);

    public (double Avg, double Max) BatchTime => _batchTime.Measure(Environment.TickCount64);
    public (double Avg, double Max) BatchSize => _batchSize.Measure(Environment.TickCount64);
    public (double Avg, double Max) OffsetCommitTime => _commitTime.Measure(Environment.TickCount64);
    public double RunningRatio => _states?.Measure("RUNNING", Environment.TickCount64) ?? 0;
    public double PauseRatio => _states?.Measure("PAUSED", Environment.TickCount64) ?? 0;
    public double SourceRecordPollRate => Rate(ref _pollRate, SourceRecordPoll);
    public double SourceRecordWriteRate => Rate(ref _writeRate, SourceRecordWrite);
    public double SinkRecordReadRate => Rate(ref _readRate, SinkRecordRead);
    public double SinkRecordSendRate => Rate(ref _sendRate, SinkRecordSend);
    public double OffsetCommitCompletionRate => Rate(ref _commitCompletionRate, OffsetCommitCompletion);
    public double OffsetCommitSkipRate => Rate(ref _commitSkipRate, OffsetCommitSkip);

    private double Rate(ref CounterRate? rate, long total) =>
        LazyInitializer.EnsureInitialized(ref rate, () => new CounterRate(_startMs)).Measure(total, Environment.TickCount64);

    /// <summary>Records a source task's poll returned (source-record-poll-total).</summary>
    public void SourceRecordsPolled(int count) => Interlocked.Add(ref _sourceRecordPoll, count);

    /// <summary>A record the producer acknowledged (source-record-write-total); called from librdkafka's thread.</summary>
    public void SourceRecordWritten() => Interlocked.Increment(ref _sourceRecordWrite);

    /// <summary>Records a sink task's consumer returned (sink-record-read-total).</summary>
    public void SinkRecordsRead(int count) => Interlocked.Add(ref _sinkRecordRead, count);

    /// <summary>Records handed to the sink task's put (sink-record-send-total).</summary>
    public void SinkRecordsSent(int count) => Interlocked.Add(ref _sinkRecordSend, count);

    /// <summary>An offset commit succeeded after <paramref name="elapsedMs"/> (offset-commit avg and max time).</summary>
    public void OffsetCommitCompleted(double elapsedMs)
    {
        Interlocked.Increment(ref _offsetCommitCompletion);
        _commitTime.Record(elapsedMs, Environment.TickCount64);
    }

    /// <summary>A sink commit refused by a rebalance, retried at the next interval (offset-commit-skip-total).</summary>
    public void OffsetCommitSkipped() => Interlocked.Increment(ref _offsetCommitSkip);

    public void OffsetCommitFailed() => Interlocked.Increment(ref _offsetCommitFailure);

    // task-error-metrics, with Connect's meanings: a failure is a failed attempt of an operation, an error a record
    // whose processing failed in the end, skipped a failed record that was tolerated.
    public void RecordFailure() => Interlocked.Increment(ref _recordFailures);
    public void RecordRetry() => Interlocked.Increment(ref _retries);
    public void RecordSkipped() => Interlocked.Increment(ref _recordsSkipped);
    public void RecordErrorLogged() => Interlocked.Increment(ref _errorsLogged);
    public void RecordDeadLetterQueueRequest() => Interlocked.Increment(ref _dlqRequests);
    public void RecordDeadLetterQueueFailure() => Interlocked.Increment(ref _dlqFailures);

    /// <summary>A record the producer failed to write and no tolerance skipped (a delivery timeout, a record too large):
    /// one failure and one record error (total-record-failures, total-record-errors), and the silo's cumulative
    /// producer record-error count, which outlives the task's restart.</summary>
    public void ProducerRecordFailed(long timestampMs)
    {
        RecordFailure();
        RecordError(timestampMs);
        OnProducerRecordError?.Invoke();
    }

    /// <summary>Set by the task grain: counts into the silo's producer record-error counter.</summary>
    public Action? OnProducerRecordError { get; init; }

    public void RecordError(long timestampMs)
    {
        Interlocked.Increment(ref _recordErrors);
        Interlocked.Exchange(ref _lastErrorTimestamp, timestampMs);
    }

    public long RecordErrors => Interlocked.Read(ref _recordErrors);
    public long RecordFailures => Interlocked.Read(ref _recordFailures);
    public long RecordsSkipped => Interlocked.Read(ref _recordsSkipped);
    public long Retries => Interlocked.Read(ref _retries);
    public long ErrorsLogged => Interlocked.Read(ref _errorsLogged);
    public long DeadLetterQueueRequests => Interlocked.Read(ref _dlqRequests);
    public long DeadLetterQueueFailures => Interlocked.Read(ref _dlqFailures);
    public long LastErrorTimestamp => Interlocked.Read(ref _lastErrorTimestamp);

    /// <summary>The sink consumer's lag per partition, from librdkafka's last statistics (records behind the log end).</summary>
    public IReadOnlyDictionary<(string Topic, int Partition), long> ConsumerLag { get; private set; } =
        new Dictionary<(string Topic, int Partition), long>();

    /// <summary>The sink consumer's client.id, Strimzi's clientid label of consumer metrics.</summary>
    public string? ConsumerClientId { get; set; }

    /// <summary>Reads the lag of every assigned partition from a librdkafka statistics document (called on librdkafka's
    /// thread every statistics.interval.ms); partitions whose log end or position is not known yet are left out.</summary>
    public void ConsumerStatistics(string json)
    {
        // Paused partitions are not fetched: the statistics' log ends go stale, and the task measures the lag itself.
        if (ConsumerPaused) return;
        var lag = new Dictionary<(string Topic, int Partition), long>();
        using var document = System.Text.Json.JsonDocument.Parse(json);
        if (document.RootElement.TryGetProperty("topics", out var topics))
        {
            foreach (var topic in topics.EnumerateObject())
            {
                if (!topic.Value.TryGetProperty("partitions", out var partitions)) continue;
                foreach (var partition in partitions.EnumerateObject())
                {
                    // Partition -1 is librdkafka's internal unassigned queue.
                    if (!int.TryParse(partition.Name, out var id) || id < 0) continue;
                    var p = partition.Value;
                    var assigned = p.TryGetProperty("fetch_state", out var state) && state.GetString() is not ("none" or "stopped");
                    if (!assigned) continue;
                    // Kafka's records-lag: the log end less the consumer's position (librdkafka's consumer_lag counts
                    // from the committed offset, unknown until the first commit).
                    var high = p.TryGetProperty("hi_offset", out var hi) ? hi.GetInt64() : -1;
                    var position = p.TryGetProperty("app_offset", out var app) ? app.GetInt64() : -1;
                    if (high >= 0 && position >= 0) lag[(topic.Name, id)] = Math.Max(0, high - position);
                    else if (p.TryGetProperty("consumer_lag", out var value) && value.GetInt64() >= 0) lag[(topic.Name, id)] = value.GetInt64();
                }
            }
        }
        ConsumerLag = lag;
    }

    /// <summary>Set while the task's consumer is paused (the task then measures the lag).</summary>
    public bool ConsumerPaused { get; set; }

    /// <summary>Lag measured by the task itself (while its partitions are paused and librdkafka fetches nothing).</summary>
    public void SetConsumerLag(Dictionary<(string Topic, int Partition), long> lag) => ConsumerLag = lag;

    /// <summary>Partitions assigned to a sink task (partition-count).</summary>
    public int PartitionCount { get; set; }

    /// <summary>Records polled or read and not yet written or put (source- and sink-record-active-count).</summary>
    public Func<long> ActiveCount { get; set; } = static () => 0;

    public bool IsSource { get; set; }

    public long SourceRecordPoll => Interlocked.Read(ref _sourceRecordPoll);
    public long SourceRecordWrite => Interlocked.Read(ref _sourceRecordWrite);
    public long SinkRecordRead => Interlocked.Read(ref _sinkRecordRead);
    public long SinkRecordSend => Interlocked.Read(ref _sinkRecordSend);
    public long OffsetCommitCompletion => Interlocked.Read(ref _offsetCommitCompletion);
    public long OffsetCommitSkip => Interlocked.Read(ref _offsetCommitSkip);
    public long OffsetCommitFailure => Interlocked.Read(ref _offsetCommitFailure);
}
