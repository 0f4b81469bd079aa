using System.Collections.Concurrent;

namespace OrleansConnect.Runtime.GrainDirectory;

/// <summary>The one-silo directory: an in-memory map, which is enough while every activation is local.</summary>
internal sealed class LocalGrainDirectory : IGrainDirectory
{
    private readonly ConcurrentDictionary<GrainId, GrainAddress> _entries = new();

    public Task<GrainAddress> RegisterAsync(GrainAddress address, CancellationToken cancellationToken) =>
        Task.FromResult(_entries.GetOrAdd(address.GrainId, address));

    public Task UnregisterAsync(GrainAddress address, CancellationToken cancellationToken)
    {
        _entries.TryRemove(new KeyValuePair<GrainId, GrainAddress>(address.GrainId, address));
        return Task.CompletedTask;
    }

    public Task<GrainAddress?> LookupAsync(GrainId grainId, CancellationToken cancellationToken) =>
        Task.FromResult(_entries.TryGetValue(grainId, out var address) ? address : null);
}
