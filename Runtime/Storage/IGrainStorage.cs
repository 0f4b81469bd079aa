namespace OrleansConnect.Runtime.Storage;

/// <summary>A grain storage provider: stores serialized grain state with optimistic concurrency.
/// The default one is registered as <see cref="IGrainStorage"/>; others may be registered as keyed services
/// and named in <see cref="PersistentStateAttribute.StorageName"/>.</summary>
public interface IGrainStorage
{
    /// <summary>The stored record, or null if there has never been one.</summary>
    Task<GrainStateRecord?> ReadAsync(GrainStateKey key, CancellationToken cancellationToken);

    /// <summary>Stores <paramref name="payload"/> if the stored etag is <paramref name="etag"/> (null: no record may
    /// exist yet) and returns the new etag; otherwise throws <see cref="InconsistentStateException"/>.</summary>
    Task<string> WriteAsync(GrainStateKey key, string payload, string? etag, CancellationToken cancellationToken);

    /// <summary>Clears the record under the same etag check; returns the new etag (null if there was nothing to clear).</summary>
    Task<string?> ClearAsync(GrainStateKey key, string? etag, CancellationToken cancellationToken);
}
