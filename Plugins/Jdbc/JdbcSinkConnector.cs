using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Plugins;
using OrleansConnect.Connect.Sink;
using ConnectorConfig = OrleansConnect.Connect.Connector.Config;

namespace OrleansConnect.Plugins.Jdbc;

/// <summary>Confluent's JDBC sink for PostgreSQL (through Npgsql): writes Struct records to tables by insert, upsert or
/// update, deletes on tombstones, creates and evolves tables. Generates tasks.max identical tasks.</summary>
[PluginName("io.confluent.connect.jdbc.JdbcSinkConnector")]
public sealed class JdbcSinkConnector : SinkConnector
{
    private Dictionary<string, string> _props = [];

    public override string Version => JdbcVersion.Value;
    public override ConfigDef Config => JdbcSinkConfig.Definition;
    public override Type TaskClass => typeof(JdbcSinkTask);

    public override Task StartAsync(IReadOnlyDictionary<string, string> props, CancellationToken ct)
    {
        _ = new JdbcSinkConfig(props);
        _props = props.ToDictionary();
        return Task.CompletedTask;
    }

    public override IReadOnlyList<IReadOnlyDictionary<string, string>> TaskConfigs(int maxTasks) =>
        Enumerable.Range(0, maxTasks).Select(_ => (IReadOnlyDictionary<string, string>)_props.ToDictionary()).ToList();

    public override Task StopAsync(CancellationToken ct) => Task.CompletedTask;

    /// <summary>The key checks, then (when they pass) a connection with the configured URL and credentials.</summary>
    public override async Task<ConnectorConfig> ValidateAsync(IReadOnlyDictionary<string, string?> connectorConfigs, CancellationToken ct)
    {
        var result = Validate(connectorConfigs);
        await JdbcConnectionCheck.CheckAsync([.. result.ConfigValues], ct);
        return result;
    }

    public override ConnectorConfig Validate(IReadOnlyDictionary<string, string?> connectorConfigs)
    {
        var values = JdbcSinkConfig.Definition.Validate(connectorConfigs).ToList();
        var byName = values.ToDictionary(v => v.Name);
        string? Text(string key) => byName.TryGetValue(key, out var v) && v.ErrorMessages.Count == 0 ? v.Value?.ToString() : null;

        if (Text(JdbcConfigs.ConnectionUrl) is { } url)
        {
            try { JdbcUrl.ToNpgsql(url, null, null); }
            catch (ConfigException e) { byName[JdbcConfigs.ConnectionUrl].AddErrorMessage(e.Message); }
        }
        var pkMode = JdbcSinkConfig.ParsePkMode(Text(JdbcSinkConfig.PkModeKey) ?? "none");
        if (byName.TryGetValue(JdbcSinkConfig.DeleteEnabled, out var delete) && delete.Value is true && pkMode != PrimaryKeyMode.RecordKey)
            delete.AddErrorMessage("Primary key mode must be 'record_key' when delete support is enabled");
        if (pkMode == PrimaryKeyMode.Kafka && byName.TryGetValue(JdbcSinkConfig.PkFields, out var pkFields)
            && pkFields.Value is IReadOnlyList<string> fields && fields.Count(f => f.Length > 0) is not (0 or 3))
            pkFields.AddErrorMessage($"pk.mode kafka takes no pk.fields (the defaults {string.Join(",", JdbcSinkConfig.DefaultKafkaPkNames)} apply) or exactly 3");
        JdbcConfigs.RefuseUnknownKeys(JdbcSinkConfig.Definition, connectorConfigs, values, "JDBC sink", JdbcSinkConfig.NotImplemented);
        return new ConnectorConfig(values);
    }

    /// <summary>The framework manages this connector's offsets entirely.</summary>
    public override bool AlterOffsets(IReadOnlyDictionary<string, string> connectorConfig, IReadOnlyDictionary<TopicPartition, long?> offsets) => true;
}

internal static class JdbcVersion
{
    /// <summary>The Confluent JDBC connector release whose behaviour these connectors follow.</summary>
    public const string Value = "10.8.0";
}
