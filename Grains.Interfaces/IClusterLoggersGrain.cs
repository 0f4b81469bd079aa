using Orleans;
using OrleansConnect.Grains.Interfaces.Models;

namespace OrleansConnect.Grains.Interfaces;

/// <summary>The cluster-scoped logger levels (PUT /admin/loggers/{name}?scope=cluster, Connect's KIP-976): each change
/// gets the next version, and every silo asks for the changes after the last version it applied. Only the latest
/// change of each namespace is kept, as a compacted config topic keeps only a key's latest record.
/// Key: <see cref="Key"/> (one per cluster: storage is partitioned by the cluster's group.id).</summary>
[Alias("oc.IClusterLoggersGrain")]
public interface IClusterLoggersGrain : IGrainWithStringKey
{
    const string Key = "cluster";

    /// <summary>The version of the latest change (0 before the first). A starting silo applies only changes after it.</summary>
    Task<long> Version();

    /// <summary>Records <paramref name="level"/> (a log4j level name) for <paramref name="namespace"/> under the next
    /// version, then answers the changes after <paramref name="appliedVersion"/>, the new one included.</summary>
    Task<ClusterLoggerChanges> SetLevel(string @namespace, string level, long appliedVersion);

    /// <summary>The latest change of every namespace changed after <paramref name="appliedVersion"/>, oldest first.</summary>
    Task<ClusterLoggerChanges> ChangesSince(long appliedVersion);
}
