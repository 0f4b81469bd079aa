using Orleans;

namespace OrleansConnect.Grains.Interfaces;

/// <summary>The connector names of one cluster, split over <see cref="Shards"/> registry grains by a stable hash of the
/// name. One grain holding every name would write the whole list on each create (quadratic in the number of
/// connectors) and serialize every create through one activation; a shard writes a few hundred names at most.</summary>
public sealed class ConnectorRegistry(IGrainFactory grains, string groupId)
{
    public const int Shards = 32;

    // Longer than a silo takes to be declared dead (the death timeout, 3 s by default), shorter than a request's bound.
    private static readonly TimeSpan UnreachableBudget = TimeSpan.FromSeconds(15);

    public Task Add(string connector) => ShardOf(connector).Add(connector);

    public Task Remove(string connector) => ShardOf(connector).Remove(connector);

    /// <summary>Every name, sorted ordinally. A shard on a silo that just died is asked again until it has come back
    /// elsewhere.</summary>
    public async Task<List<string>> ListAsync(CancellationToken cancellationToken = default)
    {
        var parts = await Task.WhenAll(Enumerable.Range(0, Shards).Select(i =>
            SiloUnreachable.RetryAsync(() => Shard(i).List(), UnreachableBudget, cancellationToken)));
        return Merge(parts);
    }

    /// <summary>Every name, sorted ordinally, without waiting for a shard on a silo that cannot be reached (or does not
    /// answer within <paramref name="timeout"/>): <paramref name="unreachable"/> answers for it.</summary>
    public async Task<List<string>> ListAsync(Func<IConnectorRegistryGrain, Exception, CancellationToken, Task<List<string>>> unreachable,
        TimeSpan timeout, CancellationToken cancellationToken)
    {
        var parts = await Task.WhenAll(Enumerable.Range(0, Shards).Select(async i =>
        {
            var shard = Shard(i);
            try
            {
                return await shard.List().WaitAsync(timeout, cancellationToken);
            }
            catch (Exception e) when (SiloUnreachable.Is(e) || e is TimeoutException)
            {
                return await unreachable(shard, e, cancellationToken);
            }
        }));
        return Merge(parts);
    }

    private static List<string> Merge(IEnumerable<List<string>> parts)
    {
        var names = parts.SelectMany(p => p).Distinct(StringComparer.Ordinal).ToList();
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    /// <summary>Moves the names of a registry written before the shards (one grain keyed by group.id) into the shards;
    /// that grain does it as it activates. Called once as a silo starts.</summary>
    public Task MigrateUnshardedAsync() => grains.GetGrain<IConnectorRegistryGrain>(groupId).List();

    /// <summary>The shard a key of a registry grain names, or null for the unsharded registry of older versions.</summary>
    public static (string GroupId, int? Shard) ParseKey(string key)
    {
        var slash = key.LastIndexOf('/');
        return slash > 0 && int.TryParse(key.AsSpan(slash + 1), out var shard) ? (key[..slash], shard) : (key, null);
    }

    private IConnectorRegistryGrain ShardOf(string connector) => Shard((int)(StableHash(connector) % Shards));

    private IConnectorRegistryGrain Shard(int shard) => grains.GetGrain<IConnectorRegistryGrain>($"{groupId}/{shard}");

    /// <summary>FNV-1a over the name's UTF-16 units: the same on every silo (string.GetHashCode is per process).</summary>
    public static uint StableHash(string value)
    {
        var hash = 2166136261u;
        foreach (var c in value) hash = (hash ^ c) * 16777619u;
        return hash;
    }
}
