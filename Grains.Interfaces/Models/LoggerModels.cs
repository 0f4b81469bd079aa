using Orleans;
namespace OrleansConnect.Grains.Interfaces.Models;

/// <summary>One cluster-scoped level change: the namespace and log4j level name requested, and the version it was
/// recorded under (each silo's last_modified is when that silo applied the change).</summary>
[GenerateSerializer, Alias("oc.ClusterLoggerLevel")]
public sealed record ClusterLoggerLevel(string Namespace, string Level, long Version);

/// <summary>Changes after a version, oldest first, and the latest version. A latest version below the one asked
/// about means the recorded levels were lost (their storage was reset).</summary>
[GenerateSerializer, Alias("oc.ClusterLoggerChanges")]
public sealed record ClusterLoggerChanges(long Version, List<ClusterLoggerLevel> Changes);
