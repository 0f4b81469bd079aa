using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using OrleansConnect.Connect.Source;
using OrleansConnect.Plugins.Json;
using OrleansConnect.Plugins.Postgres;
using OrleansConnect.Tests.Infrastructure;

namespace OrleansConnect.Tests.Postgres;

/// <summary>A PostgreSQL 15 with logical decoding, shared by the tests of a class.</summary>
public sealed class LogicalPostgres : IAsyncLifetime
{
    public PostgresServer Server { get; } = new()
    {
        MaxConnections = 50,
        Settings = new Dictionary<string, string> { ["wal_level"] = "logical", ["max_replication_slots"] = "20", ["max_wal_senders"] = "20" },
    };

    public Task InitializeAsync() => Server.InitializeAsync();
    public Task DisposeAsync() => Server.DisposeAsync();

    public async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(Server.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(Server.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    /// <summary>A Debezium config for this server, as the documentation's example has it, plus overrides.</summary>
    public Dictionary<string, string> Config(string prefix, string slot, params (string Key, string Value)[] extra)
    {
        var config = new Dictionary<string, string>
        {
            ["connector.class"] = "io.debezium.connector.postgresql.PostgresConnector",
            ["database.hostname"] = "127.0.0.1",
            ["database.port"] = Server.Port.ToString(),
            ["database.user"] = "postgres",
            ["database.password"] = "postgres",
            ["database.dbname"] = Server.Database,
            ["topic.prefix"] = prefix,
            ["slot.name"] = slot,
            ["publication.name"] = "pub_" + slot,
            ["poll.interval.ms"] = "50",
            ["slot.drop.on.stop"] = "true",
        };
        foreach (var (key, value) in extra) config[key] = value;
        return config;
    }
}

/// <summary>Offsets kept in memory the way the worker keeps them: written at commit, read back by the task.</summary>
public sealed class MemoryOffsets : IOffsetStorageReader
{
    private readonly Dictionary<IReadOnlyDictionary<string, object?>, IReadOnlyDictionary<string, object?>> _offsets = new(SourcePartitionComparer.Instance);

    public IReadOnlyDictionary<string, object?>? Offset(IReadOnlyDictionary<string, object?> partition)
    {
        lock (_offsets) return _offsets.GetValueOrDefault(partition);
    }

    public IReadOnlyDictionary<IReadOnlyDictionary<string, object?>, IReadOnlyDictionary<string, object?>?> Offsets(IEnumerable<IReadOnlyDictionary<string, object?>> partitions) =>
        partitions.ToDictionary(p => p, Offset, SourcePartitionComparer.Instance);

    public void Put(IReadOnlyDictionary<string, object?> partition, IReadOnlyDictionary<string, object?> offset)
    {
        lock (_offsets) _offsets[partition] = offset;
    }
}

/// <summary>Runs a PostgresSourceTask as the worker does: start, poll, commit the offsets of what it handed out.</summary>
public sealed class TaskRunner(Dictionary<string, string> config, MemoryOffsets offsets) : IAsyncDisposable
{
    private sealed class Context(IReadOnlyDictionary<string, string> configs, IOffsetStorageReader reader) : ISourceTaskContext
    {
        public IReadOnlyDictionary<string, string> Configs => configs;
        public IOffsetStorageReader OffsetStorageReader => reader;
    }

    private readonly JsonConverter _keys = Converter(isKey: true);
    private readonly JsonConverter _values = Converter(isKey: false);
    private bool _started;

    public PostgresSourceTask Task { get; } = new();
    public List<SourceRecord> Records { get; } = [];

    private static JsonConverter Converter(bool isKey)
    {
        var converter = new JsonConverter();
        converter.Configure(new Dictionary<string, string?> { ["schemas.enable"] = "true" }, isKey);
        return converter;
    }

    public async Task StartAsync()
    {
        Task.Initialize(new Context(config, offsets));
        await Task.StartAsync(config, CancellationToken.None);
        _started = true;
    }

    /// <summary>Polls until <paramref name="count"/> records in all were received (or the deadline passes).</summary>
    public async Task<List<SourceRecord>> PollUntilAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (Records.Count < count)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{Records.Count} of {count} records within the deadline:\n" + string.Join("\n", Records.Select(Value)));
            var batch = await Task.PollAsync(CancellationToken.None);
            if (batch is not null) Records.AddRange(batch);
        }
        return Records;
    }

    /// <summary>Commits every record received so far: the last one's offset is stored, then CommitAsync runs.</summary>
    public async Task CommitAsync()
    {
        if (Records.Count > 0) offsets.Put(Records[^1].SourcePartition!, Records[^1].SourceOffset!);
        await Task.CommitAsync(CancellationToken.None);
    }

    /// <summary>Escapes as Jackson (and the JsonConverter) do: quotes as \", not \u0022.</summary>
    public static readonly System.Text.Json.JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public string Key(SourceRecord record) => Encoding.UTF8.GetString(_keys.FromConnectData(record.Topic, null, record.KeySchema, record.Key) ?? "null"u8.ToArray());

    public string Value(SourceRecord record) =>
        record.Value is null ? "null" : Encoding.UTF8.GetString(_values.FromConnectData(record.Topic, null, record.ValueSchema, record.Value)!);

    /// <summary>The value's JSON with what differs between runs (times, LSNs, transaction ids, version) replaced by
    /// placeholders.</summary>
    public string Normalized(SourceRecord record)
    {
        if (record.Value is null) return "null";
        var node = JsonNode.Parse(Value(record))!;
        var payload = node["payload"]!.AsObject();
        foreach (var key in new[] { "ts_ms", "ts_us", "ts_ns" }) payload[key] = "T";
        if (payload["source"] is JsonObject source)
        {
            foreach (var key in new[] { "ts_ms", "ts_us", "ts_ns", "lsn", "txId", "sequence", "version" })
                if (source[key] is not null) source[key] = key.StartsWith("ts", StringComparison.Ordinal) ? "T" : key.ToUpperInvariant();
        }
        return node.ToJsonString(Relaxed);
    }

    public async ValueTask DisposeAsync()
    {
        if (_started) await Task.StopAsync(CancellationToken.None);
    }
}
