namespace OrleansConnect.Connect.Sink;

/// <summary>What a sink task may ask of the runtime: offsets, pause/resume, commits, errant record reporting.</summary>
public interface ISinkTaskContext
{
    IReadOnlyDictionary<string, string> Configs { get; }

    /// <summary>Rewinds (or skips) the consumer to these offsets.</summary>
    void Offset(IReadOnlyDictionary<TopicPartition, long> offsets);

    void Offset(TopicPartition tp, long offset);

    /// <summary>Backoff before the next retry after a RetriableException from PutAsync; call it before each throw (it is used
    /// once). Without it the batch is delivered again at once.</summary>
    void Timeout(long timeoutMs);

    IReadOnlyCollection<TopicPartition> Assignment();

    void Pause(params TopicPartition[] partitions);

    void Resume(params TopicPartition[] partitions);

    void RequestCommit();

    /// <summary>Null when the connector has no error tolerance/DLQ reporting configured.</summary>
    IErrantRecordReporter? ErrantRecordReporter { get; }
}

/// <summary>Reports a record the task could not process (to the dead letter queue / error log).</summary>
public interface IErrantRecordReporter
{
    Task ReportAsync(SinkRecord record, Exception error, CancellationToken ct);
}
