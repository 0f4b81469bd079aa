using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Connect.Plugins;
using OrleansConnect.Connect.Source;
using ConnectorConfig = OrleansConnect.Connect.Connector.Config;

namespace OrleansConnect.Plugins.Postgres;

/// <summary>Change data capture from PostgreSQL under Debezium's class name, taking Debezium's config keys and writing
/// Debezium's topics, keys, envelopes and offsets (docs/connectors/postgresql.md). One task, whatever tasks.max says:
/// a slot has one reader.</summary>
[PluginName("io.debezium.connector.postgresql.PostgresConnector")]
public sealed class PostgresConnector : SourceConnector
{
    private Dictionary<string, string> _props = [];

    public override string Version => AppInfo.KafkaVersion;
    public override ConfigDef Config => PostgresConnectorConfig.Definition;
    public override Type TaskClass => typeof(PostgresSourceTask);

    public override ConnectorConfig Validate(IReadOnlyDictionary<string, string?> connectorConfigs)
    {
        var values = PostgresConnectorConfig.Definition.ValidateAll(connectorConfigs);
        foreach (var (include, exclude) in new[]
                 {
                     (PostgresConnectorConfig.SchemaIncludeList, PostgresConnectorConfig.SchemaExcludeList),
                     (PostgresConnectorConfig.TableIncludeList, PostgresConnectorConfig.TableExcludeList),
                     (PostgresConnectorConfig.ColumnIncludeList, PostgresConnectorConfig.ColumnExcludeList),
                 })
        {
            if (!string.IsNullOrWhiteSpace(connectorConfigs.GetValueOrDefault(include)) && !string.IsNullOrWhiteSpace(connectorConfigs.GetValueOrDefault(exclude)))
                values[exclude].AddErrorMessage($"\"{include}\" is already specified; {exclude} cannot be set as well");
        }
        var result = values.Values.ToList();
        // Keys the connector does not know are refused by name rather than ignored.
        foreach (var key in PostgresConnectorConfig.UnsupportedKeys(connectorConfigs.Keys))
            result.Add(new ConfigValue(key, connectorConfigs[key], [], [PostgresConnectorConfig.UnsupportedKeyMessage(key)]));
        return new ConnectorConfig(result);
    }

    /// <summary>The key checks, then (when they pass) a connection to the database: login, wal_level, REPLICATION.</summary>
    public override async Task<ConnectorConfig> ValidateAsync(IReadOnlyDictionary<string, string?> connectorConfigs, CancellationToken ct)
    {
        var result = Validate(connectorConfigs);
        await PostgresConnectionCheck.ValidateAsync(connectorConfigs, result.ConfigValues, ct);
        return result;
    }

    public override Task StartAsync(IReadOnlyDictionary<string, string> props, CancellationToken ct)
    {
        var unsupported = PostgresConnectorConfig.UnsupportedKeys(props.Keys).ToList();
        if (unsupported.Count > 0) throw new ConnectException(PostgresConnectorConfig.UnsupportedKeyMessage(unsupported[0]));
        _ = PostgresConnectorConfig.Parse(props);
        _props = props.ToDictionary();
        return Task.CompletedTask;
    }

    /// <summary>One task: a replication slot has one reader (Debezium does the same).</summary>
    public override IReadOnlyList<IReadOnlyDictionary<string, string>> TaskConfigs(int maxTasks) => [_props.ToDictionary()];

    public override Task StopAsync(CancellationToken ct) => Task.CompletedTask;

    /// <summary>Offsets as Debezium writes them: partition {"server": topic.prefix}, offset with a numeric lsn (and
    /// lsn_commit/lsn_proc when present); imported Debezium offsets pass this check.</summary>
    public override bool AlterOffsets(IReadOnlyDictionary<string, string> connectorConfig,
        IReadOnlyDictionary<IReadOnlyDictionary<string, object?>, IReadOnlyDictionary<string, object?>?> offsets)
    {
        var prefix = connectorConfig.GetValueOrDefault(PostgresConnectorConfig.TopicPrefix);
        foreach (var (partition, offset) in offsets)
        {
            if (!partition.TryGetValue(PostgresSourceTask.ServerKey, out var server) || server is not string s || s != prefix)
                throw new ConnectException($"Partition objects should be {{\"server\": \"{prefix}\"}} (the connector's topic.prefix)");
            if (offset is null) continue;
            foreach (var key in new[] { "lsn", "lsn_commit", "lsn_proc", "txId", "ts_usec" })
            {
                if (offset.TryGetValue(key, out var value) && value is not null and not (long or int or short or sbyte))
                    throw new ConnectException($"The value of '{key}' in the offset is expected to be a number");
            }
            if (!offset.ContainsKey("lsn")) throw new ConnectException("Offset objects should either be null or contain the key 'lsn'");
        }
        return true;
    }
}
