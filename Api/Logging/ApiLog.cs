using Microsoft.Extensions.Logging;

namespace OrleansConnect.Api.Logging;

/// <summary>What the REST layer logs about requests that change something; the connector name is a structured
/// field ("Connector") so one connector's history can be filtered out of the log.</summary>
internal static partial class ApiLog
{
    public const string Category = "OrleansConnect.Api";

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Creating connector {Connector} (initial state {InitialState})")]
    public static partial void CreatingConnector(ILogger log, string connector, string initialState);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Putting config of connector {Connector}")]
    public static partial void PuttingConfig(ILogger log, string connector);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Connector {Connector} {Outcome}")]
    public static partial void ConfigStored(ILogger log, string connector, string outcome);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Patching config of connector {Connector} ({Keys} keys)")]
    public static partial void PatchingConfig(ILogger log, string connector, int keys);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Deleting connector {Connector}")]
    public static partial void DeletingConnector(ILogger log, string connector);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "Changing target state of connector {Connector} to {TargetState}")]
    public static partial void ChangingTargetState(ILogger log, string connector, string targetState);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "Restarting connector {Connector} (includeTasks={IncludeTasks}, onlyFailed={OnlyFailed})")]
    public static partial void RestartingConnector(ILogger log, string connector, bool includeTasks, bool onlyFailed);

    [LoggerMessage(EventId = 8, Level = LogLevel.Information, Message = "Restarting task {Task} of connector {Connector}")]
    public static partial void RestartingTask(ILogger log, string connector, int task);

    [LoggerMessage(EventId = 9, Level = LogLevel.Information, Message = "Setting level of logger namespace {Namespace} and its children to {Level} on this worker; affected: {Affected}")]
    public static partial void SettingLogLevel(ILogger log, string @namespace, string level, int affected);

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "Unknown logging scope '{Scope}'; applying to this worker")]
    public static partial void UnknownLoggingScope(ILogger log, string scope);

    [LoggerMessage(EventId = 11, Level = LogLevel.Debug, Message = "Connector {Connector} disappeared while listing connectors; skipped")]
    public static partial void ConnectorVanished(ILogger log, string connector);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "Health check failed")]
    public static partial void HealthCheckFailed(ILogger log, Exception exception);

    [LoggerMessage(EventId = 13, Level = LogLevel.Information, Message = "Altering offsets of connector {Connector} ({Partitions} partitions)")]
    public static partial void AlteringOffsets(ILogger log, string connector, int partitions);

    [LoggerMessage(EventId = 14, Level = LogLevel.Information, Message = "Resetting offsets of connector {Connector}")]
    public static partial void ResettingOffsets(ILogger log, string connector);

    [LoggerMessage(EventId = 15, Level = LogLevel.Information, Message = "Resetting active topics of connector {Connector}")]
    public static partial void ResettingActiveTopics(ILogger log, string connector);

    [LoggerMessage(EventId = 16, Level = LogLevel.Information, Message = "Setting level of logger namespace {Namespace} and its children to {Level} on every silo")]
    public static partial void SettingClusterLogLevel(ILogger log, string @namespace, string level);

    [LoggerMessage(EventId = 17, Level = LogLevel.Information, Message = "Applied cluster-scoped level {Level} of logger namespace {Namespace} (version {Version}); affected: {Affected}")]
    public static partial void AppliedClusterLogLevel(ILogger log, string @namespace, string level, long version, int affected);

    [LoggerMessage(EventId = 18, Level = LogLevel.Information, Message = "Cluster-scoped logger levels: applying changes after version {Version}")]
    public static partial void ClusterLogLevelsFrom(ILogger log, long version);

    [LoggerMessage(EventId = 19, Level = LogLevel.Warning, Message = "Cluster-scoped logger levels went back from version {Applied} to {Version} (their storage was reset); following the new versions")]
    public static partial void ClusterLogLevelsReset(ILogger log, long applied, long version);

    [LoggerMessage(EventId = 20, Level = LogLevel.Warning, Message = "Ignoring cluster-scoped level '{Level}' of logger namespace {Namespace} (version {Version}): not a level")]
    public static partial void InvalidClusterLogLevel(ILogger log, string @namespace, string level, long version);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "Could not fetch cluster-scoped logger levels; retrying every poll")]
    public static partial void ClusterLogLevelsPollFailed(ILogger log, Exception exception);

    [LoggerMessage(EventId = 22, Level = LogLevel.Debug, Message = "Cluster-scoped logger levels still unavailable: {Reason}")]
    public static partial void ClusterLogLevelsPollStillFailing(ILogger log, string reason);

    [LoggerMessage(EventId = 23, Level = LogLevel.Information, Message = "Cluster-scoped logger levels reachable again")]
    public static partial void ClusterLogLevelsPollRecovered(ILogger log);
}
