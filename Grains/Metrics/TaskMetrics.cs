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

    public string Connector { get; } = connector;
    public int Task { get; } = task;

    /// <summary>Records a source task's poll returned (source-record-poll-total).</summary>
    public void SourceRecordsPolled(int count) => Interlocked.Add(ref _sourceRecordPoll, count);

    /// <summary>A record the producer acknowledged (source-record-write-total); called from librdkafka's thread.</summary>
    public void SourceRecordWritten() => Interlocked.Increment(ref _sourceRecordWrite);

    /// <summary>Records a sink task's consumer returned (sink-record-read-total).</summary>
    public void SinkRecordsRead(int count) => Interlocked.Add(ref _sinkRecordRead, count);

    /// <summary>Records handed to the sink task's put (sink-record-send-total).</summary>
    public void SinkRecordsSent(int count) => Interlocked.Add(ref _sinkRecordSend, count);

    public void OffsetCommitCompleted() => Interlocked.Increment(ref _offsetCommitCompletion);

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
