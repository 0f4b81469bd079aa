namespace OrleansConnect.Connect.Source;

using OrleansConnect.Connect.Connector;

/// <summary>A task that polls an external system for records.</summary>
public abstract class SourceTask : ConnectorTask
{
    /// <summary>Set by <see cref="Initialize"/> before StartAsync.</summary>
    protected ISourceTaskContext Context { get; private set; } = null!;

    public virtual void Initialize(ISourceTaskContext context) =>
        Context = context ?? throw new ArgumentNullException(nameof(context));

    /// <summary>New records; null or empty when there is nothing now. May wait briefly, honouring <paramref name="ct"/>.</summary>
    public abstract Task<IReadOnlyList<SourceRecord>?> PollAsync(CancellationToken ct);

    /// <summary>Called after the offsets of polled records were committed.</summary>
    public virtual Task CommitAsync(CancellationToken ct) => Task.CompletedTask;

    /// <summary>Called per record once Kafka acknowledged it (metadata null when the record was filtered out).</summary>
    public virtual Task CommitRecordAsync(SourceRecord record, RecordMetadata? metadata, CancellationToken ct) => Task.CompletedTask;
}
