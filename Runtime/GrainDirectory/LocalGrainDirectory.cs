using System.Collections.Concurrent;

namespace OrleansConnect.Runtime.GrainDirectory;

/// <summary>The one-silo directory: an in-memory map, which is enough while every activation is local.
/// Epochs count registrations per grain within this process.</summary>
internal sealed class LocalGrainDirectory : IGrainDirectory
{
    private readonly ConcurrentDictionary<GrainId, GrainAddress> _entries = new();
    private readonly ConcurrentDictionary<GrainId, long> _epochs = new();

    public Task<GrainAddress> RegisterAsync(GrainAddress address, CancellationToken cancellationToken)
    {
        if (_entries.TryGetValue(address.GrainId, out var existing)) return Task.FromResult(existing);
        var candidate = address with { Epoch = _epochs.AddOrUpdate(address.GrainId, 1, (_, e) => e + 1) };
        return Task.FromResult(_entries.GetOrAdd(address.GrainId, candidate));
    }

    public Task UnregisterAsync(GrainAddress address, CancellationToken cancellationToken)
    {
        if (_entries.TryGetValue(address.GrainId, out var existing) && existing.ActivationId == address.ActivationId)
            _entries.TryRemove(new KeyValuePair<GrainId, GrainAddress>(address.GrainId, existing));
        return Task.CompletedTask;
    }

    // One silo: a grain never moves elsewhere.
    public Task HandOffAsync(GrainAddress address, string targetSilo, CancellationToken cancellationToken) =>
        UnregisterAsync(address, cancellationToken);

    public Task<GrainAddress?> LookupAsync(GrainId grainId, CancellationToken cancellationToken) =>
        Task.FromResult(_entries.TryGetValue(grainId, out var address) ? address : null);
}
