namespace OrleansConnect.Runtime;

/// <summary>Grain state persisted by a grain storage provider, with optimistic concurrency on <see cref="Etag"/>.
/// A write whose etag is stale throws <see cref="InconsistentStateException"/>.</summary>
public interface IPersistentState<TState> where TState : new()
{
    TState State { get; set; }
    string? Etag { get; }
    bool RecordExists { get; }
    Task ReadStateAsync(CancellationToken cancellationToken = default);
    Task WriteStateAsync(CancellationToken cancellationToken = default);
    Task ClearStateAsync(CancellationToken cancellationToken = default);
}

/// <summary>Marks a grain constructor parameter of type IPersistentState&lt;T&gt; to be injected and read
/// before OnActivateAsync, as in Orleans.</summary>
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class PersistentStateAttribute(string stateName, string? storageName = null) : Attribute
{
    public string StateName { get; } = stateName;
    public string? StorageName { get; } = storageName;
}

/// <summary>The stored etag did not match the one the writer held: somebody else wrote first.</summary>
public sealed class InconsistentStateException(string message) : Exception(message);
