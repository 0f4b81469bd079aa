namespace OrleansConnect.Connect.Sink;

using OrleansConnect.Connect.Connector;

/// <summary>A task that writes batches of records to an external system and takes part in offset commits.</summary>
public abstract class SinkTask : ConnectorTask
{
    public const string TopicsConfig = "topics";
    public const string TopicsRegexConfig = "topics.regex";

    /// <summary>Set by <see cref="Initialize"/> before StartAsync.</summary>
    protected ISinkTaskContext Context { get; private set; } = null!;

    public virtual void Initialize(ISinkTaskContext context) =>
        Context = context ?? throw new ArgumentNullException(nameof(context));

    /// <summary>Writes (or buffers) the records. Throw RetriableException to have the same batch delivered again (after
    /// Context.Timeout, when set), with nothing committed past it meanwhile; any other exception fails the task.</summary>
    public abstract Task PutAsync(IReadOnlyCollection<SinkRecord> records, CancellationToken ct);

    /// <summary>Flushes everything put so far.</summary>
    public virtual Task FlushAsync(IReadOnlyDictionary<TopicPartition, OffsetAndMetadata> currentOffsets, CancellationToken ct) =>
        Task.CompletedTask;

    /// <summary>The offsets safe to commit; by default flushes and returns <paramref name="currentOffsets"/>.</summary>
    public virtual async Task<IReadOnlyDictionary<TopicPartition, OffsetAndMetadata>> PreCommitAsync(
        IReadOnlyDictionary<TopicPartition, OffsetAndMetadata> currentOffsets, CancellationToken ct)
    {
        await FlushAsync(currentOffsets, ct).ConfigureAwait(false);
        return currentOffsets;
    }

    /// <summary>Partitions newly assigned to this task.</summary>
    public virtual Task OpenAsync(IReadOnlyCollection<TopicPartition> partitions, CancellationToken ct) => Task.CompletedTask;

    /// <summary>Partitions taken away from this task; release their resources.</summary>
    public virtual Task CloseAsync(IReadOnlyCollection<TopicPartition> partitions, CancellationToken ct) => Task.CompletedTask;
}
