using Npgsql;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Connect.Source;

namespace OrleansConnect.Plugins.Jdbc;

/// <summary>Polls its share of the tables (or the query) as Confluent's JdbcSourceTask: the table due soonest is read,
/// at most batch.max.rows rows a poll, until its result set is exhausted; then it waits poll.interval.ms. A lost
/// connection is opened again at the next poll and the table queried again from its offset.</summary>
public sealed class JdbcSourceTask : SourceTask
{
    private JdbcSourceConfig _config = null!;
    private PostgresDialect _dialect = null!;
    private readonly List<TableQuerier> _queriers = [];
    private NpgsqlConnection? _connection;
    private bool _initialized;

    public override string Version => JdbcVersion.Value;

    public override async Task StartAsync(IReadOnlyDictionary<string, string> props, CancellationToken ct)
    {
        _config = new JdbcSourceConfig(props);
        _dialect = new PostgresDialect(_config.QuoteIdentifiers, _config.TimeZone);
        if (_config.IsQueryMode)
        {
            _queriers.Add(new TableQuerier(_config, _dialect, null));
        }
        else
        {
            var tables = props.GetValueOrDefault(JdbcSourceConfig.TasksTables, "");
            foreach (var name in tables.Split(',', StringSplitOptions.RemoveEmptyEntries)) _queriers.Add(new TableQuerier(_config, _dialect, TableId.Parse(name)));
            if (_queriers.Count == 0) throw new ConnectException("Invalid configuration: each JdbcSourceTask must have at least one table assigned to it");
        }
        var connection = await ConnectionAsync(ct);
        foreach (var querier in _queriers) await querier.InitializeAsync(connection, Context.OffsetStorageReader, ct);
        _initialized = true;
    }

    public override async Task<IReadOnlyList<SourceRecord>?> PollAsync(CancellationToken ct)
    {
        var querier = _queriers.MinBy(q => q.Querying ? DateTime.MinValue : q.NextPoll)!;
        if (!querier.Querying)
        {
            var wait = querier.NextPoll - DateTime.UtcNow;
            // Short waits keep a stop prompt; the loop calls again.
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait < TimeSpan.FromSeconds(1) ? wait : TimeSpan.FromSeconds(1), ct);
                if (querier.NextPoll > DateTime.UtcNow) return null;
            }
        }
        var records = new List<SourceRecord>();
        try
        {
            if (!querier.Querying) await querier.StartQueryAsync(await ConnectionAsync(ct), ct);
            var more = true;
            while (records.Count < _config.MaxRows && (more = await querier.NextAsync(ct))) records.Add(querier.Extract());
            if (!more)
            {
                await querier.CloseAsync();
                querier.NextPoll = DateTime.UtcNow.AddMilliseconds(_config.PollInterval);
            }
        }
        catch (Exception e) when (e is NpgsqlException or IOException && JdbcSinkTask.IsTransient(e) && !ct.IsCancellationRequested)
        {
            // The rows read so far are returned with their offsets; the table is queried again from there.
            await querier.CloseAsync();
            await ResetAsync();
            querier.NextPoll = DateTime.UtcNow.AddMilliseconds(_config.PollInterval);
            if (records.Count == 0) return null;
        }
        catch (PostgresException e)
        {
            throw new ConnectException($"Query of {querier.Table?.ToString() ?? "the query"} failed: {JdbcSinkTask.Describe(e)}", e);
        }
        return records;
    }

    private async Task<NpgsqlConnection> ConnectionAsync(CancellationToken ct)
    {
        if (_connection is { State: System.Data.ConnectionState.Open } open) return open;
        await ResetAsync();
        var connection = new NpgsqlConnection(_config.ConnectionString());
        try
        {
            await connection.OpenAsync(ct);
        }
        catch (PostgresException e) when (!JdbcSinkTask.IsTransient(e) && !_initialized)
        {
            await connection.DisposeAsync();
            throw new ConnectException($"Cannot connect to PostgreSQL: {JdbcSinkTask.Describe(e)}", e);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
        _connection = connection;
        return connection;
    }

    private async Task ResetAsync()
    {
        var connection = _connection;
        _connection = null;
        if (connection is not null)
        {
            try { await connection.DisposeAsync(); }
            catch (Exception e) when (e is NpgsqlException or IOException) { }
        }
    }

    public override async Task StopAsync(CancellationToken ct)
    {
        foreach (var querier in _queriers) await querier.CloseAsync();
        await ResetAsync();
    }
}
