using Npgsql;
using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Connect.Plugins;
using OrleansConnect.Connect.Source;
using ConnectorConfig = OrleansConnect.Connect.Connector.Config;

namespace OrleansConnect.Plugins.Jdbc;

/// <summary>Confluent's JDBC source for PostgreSQL (through Npgsql): copies tables (or a query) to topics in bulk,
/// incrementing, timestamp or timestamp+incrementing mode. The tables are shared out among up to tasks.max tasks in
/// contiguous groups, as Connect's ConnectorUtils.groupPartitions does; the list is read again every
/// table.poll.interval.ms and the tasks reconfigured when it changed.</summary>
[PluginName("io.confluent.connect.jdbc.JdbcSourceConnector")]
public sealed class JdbcSourceConnector : SourceConnector
{
    private Dictionary<string, string> _props = [];
    private JdbcSourceConfig _config = null!;
    private List<TableId> _tables = [];
    private CancellationTokenSource? _monitor;
    private Task? _monitoring;
    private readonly Lock _gate = new();

    public override string Version => JdbcVersion.Value;
    public override ConfigDef Config => JdbcSourceConfig.Definition;
    public override Type TaskClass => typeof(JdbcSourceTask);

    public override async Task StartAsync(IReadOnlyDictionary<string, string> props, CancellationToken ct)
    {
        _config = new JdbcSourceConfig(props);
        _props = props.ToDictionary();
        if (_config.IsQueryMode) return;
        var tables = await ListTablesAsync(ct);
        lock (_gate) _tables = tables;
        if (_config.TablePollInterval > 0)
        {
            _monitor = new CancellationTokenSource();
            _monitoring = MonitorAsync(_monitor.Token);
        }
    }

    private async Task<List<TableId>> ListTablesAsync(CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(_config.ConnectionString());
        try
        {
            await connection.OpenAsync(ct);
        }
        catch (PostgresException e)
        {
            throw new ConnectException($"Cannot connect to PostgreSQL to list its tables: {JdbcSinkTask.Describe(e)}", e);
        }
        return await _config.TablesAsync(connection, ct);
    }

    /// <summary>Confluent's table monitor: new or removed tables reconfigure the tasks.</summary>
    private async Task MonitorAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(_config.TablePollInterval), ct);
                var tables = await ListTablesAsync(ct);
                bool changed;
                lock (_gate)
                {
                    changed = !tables.SequenceEqual(_tables);
                    if (changed) _tables = tables;
                }
                if (changed) Context.RequestTaskReconfiguration();
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or ConnectException or IOException)
            {
                // The database is unreachable now: the tables are looked at again next time; the tasks report their own failures.
            }
        }
    }

    public override IReadOnlyList<IReadOnlyDictionary<string, string>> TaskConfigs(int maxTasks)
    {
        if (_config.IsQueryMode) return [_props.ToDictionary()];
        List<TableId> tables;
        lock (_gate) tables = [.. _tables];
        if (tables.Count == 0) return [];
        var groups = Math.Min(maxTasks, tables.Count);
        var configs = new List<IReadOnlyDictionary<string, string>>();
        var start = 0;
        for (var g = 0; g < groups; g++)
        {
            var size = tables.Count / groups + (g < tables.Count % groups ? 1 : 0);
            var config = _props.ToDictionary();
            config[JdbcSourceConfig.TasksTables] = string.Join(",", tables.Skip(start).Take(size));
            configs.Add(config);
            start += size;
        }
        return configs;
    }

    public override async Task StopAsync(CancellationToken ct)
    {
        if (_monitor is null) return;
        await _monitor.CancelAsync();
        if (_monitoring is not null) await _monitoring;
        _monitor.Dispose();
        _monitor = null;
    }

    /// <summary>The key checks, then (when they pass) a connection with the configured URL and credentials.</summary>
    public override async Task<ConnectorConfig> ValidateAsync(IReadOnlyDictionary<string, string?> connectorConfigs, CancellationToken ct)
    {
        var result = Validate(connectorConfigs);
        await JdbcConnectionCheck.CheckAsync([.. result.ConfigValues], ct);
        return result;
    }

    public override ConnectorConfig Validate(IReadOnlyDictionary<string, string?> connectorConfigs)
    {
        var values = JdbcSourceConfig.Definition.Validate(connectorConfigs).ToList();
        var byName = values.ToDictionary(v => v.Name);
        string? Text(string key) => byName.TryGetValue(key, out var v) && v.ErrorMessages.Count == 0 ? v.Value?.ToString() : null;
        int Count(string key) => byName.TryGetValue(key, out var v) && v.Value is IReadOnlyList<string> list ? list.Count(x => x.Length > 0) : 0;

        if (Text(JdbcConfigs.ConnectionUrl) is { } url)
        {
            try { JdbcUrl.ToNpgsql(url, null, null); }
            catch (ConfigException e) { byName[JdbcConfigs.ConnectionUrl].AddErrorMessage(e.Message); }
        }
        if (byName[JdbcSourceConfig.Mode].ErrorMessages.Count == 0
            && JdbcSourceConfig.Problems(JdbcSourceConfig.ParseMode(Text(JdbcSourceConfig.Mode) ?? ""), Count(JdbcSourceConfig.TimestampColumn),
                Count(JdbcSourceConfig.TableWhitelist), Count(JdbcSourceConfig.TableBlacklist)) is { } problem)
            byName[problem.Key].AddErrorMessage(problem.Message);
        JdbcConfigs.RefuseUnknownKeys(JdbcSourceConfig.Definition, connectorConfigs, values, "JDBC source", JdbcSourceConfig.NotImplemented);
        return new ConnectorConfig(values);
    }
}
