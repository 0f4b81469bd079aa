using System.Collections.Concurrent;
using Npgsql;

namespace OrleansConnect.Scale;

public sealed record PgConnections(int Total, int InDatabase, int Active);

/// <summary>Reads PostgreSQL's own statistics (pg_stat_database, pg_stat_activity) over one connection opened before
/// any silo starts and held to the end: once the silos' pools fill <c>max_connections</c>, a new connection would be
/// refused too. It is not counted in the figures (another database, and its own backend is left out).</summary>
public sealed class PostgresMonitor(string adminConnectionString, string database) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ConcurrentDictionary<string, int> _phaseMax = new();
    private NpgsqlConnection? _connection;

    public int Failures { get; private set; }

    public async Task OpenAsync(CancellationToken cancellationToken)
    {
        _connection = new NpgsqlConnection(adminConnectionString);
        await _connection.OpenAsync(cancellationToken);
    }

    /// <summary>Committed plus rolled-back transactions of the silos' database since the server started. Backends
    /// report them at most once a second (10 s when idle), so a window of 30 s or more is needed for a rate.</summary>
    public Task<long?> TransactionsAsync(CancellationToken cancellationToken) => QueryAsync(async connection =>
    {
        await using var command = new NpgsqlCommand("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = database });
        return (long?)Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }, cancellationToken);

    /// <summary>Client connections: all of them, those to the silos' database, and those of them running a statement.</summary>
    public async Task<PgConnections?> ConnectionsAsync(CancellationToken cancellationToken)
    {
        var counts = await QueryAsync(async connection =>
        {
            await using var command = new NpgsqlCommand(
                "SELECT count(*) FILTER (WHERE backend_type = 'client backend'), count(*) FILTER (WHERE datname = $1), " +
                "count(*) FILTER (WHERE datname = $1 AND state = 'active') FROM pg_stat_activity WHERE pid <> pg_backend_pid()", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = database });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            return new long[] { reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2) };
        }, cancellationToken);
        return counts is null ? null : new PgConnections((int)counts[0], (int)counts[1], (int)counts[2]);
    }

    /// <summary>The most connections seen in each phase, sampled every 2 s until cancelled.</summary>
    public async Task SampleAsync(Func<string> phase, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                if (await ConnectionsAsync(cancellationToken) is { } c) _phaseMax.AddOrUpdate(phase(), c.Total, (_, max) => Math.Max(max, c.Total));
                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { }
    }

    public int? MaxConnections(string phase) => _phaseMax.TryGetValue(phase, out var max) ? max : null;

    /// <summary>Runs a query; a failure (the server restarting, a broken connection) is counted and the connection
    /// opened again at the next call, so a figure goes missing rather than the run.</summary>
    private async Task<T?> QueryAsync<T>(Func<NpgsqlConnection, Task<T>> query, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_connection is null || _connection.FullState != System.Data.ConnectionState.Open)
            {
                if (_connection is not null) await _connection.DisposeAsync();
                _connection = null;
                var connection = new NpgsqlConnection(adminConnectionString);
                await connection.OpenAsync(cancellationToken);
                _connection = connection;
            }
            return await query(_connection);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            Failures++;
            if (_connection is not null) await _connection.DisposeAsync();
            _connection = null;
            return default;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null) await _connection.DisposeAsync();
        _gate.Dispose();
    }
}
