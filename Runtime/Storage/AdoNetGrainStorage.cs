using System.Data.Common;
using System.Globalization;
using OrleansConnect.Runtime.AdoNet;

namespace OrleansConnect.Runtime.Storage;

/// <summary>Grain state in table oc_grain_state; the etag is the row's version. A cleared state keeps its row
/// (payload NULL, version bumped) so an etag from before the clear can never match again.</summary>
internal sealed class AdoNetGrainStorage(AdoNetDatabase database, TimeProvider time) : IGrainStorage
{
    private const string KeyFilter =
        "service_id = @service_id AND grain_type = @grain_type AND grain_key = @grain_key AND state_name = @state_name";

    public async Task<GrainStateRecord?> ReadAsync(GrainStateKey key, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = KeyedCommand(connection, $"SELECT version, payload, modified_utc FROM oc_grain_state WHERE {KeyFilter}", key);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) return null;
        return new GrainStateRecord(
            reader.IsDBNull(1) ? null : reader.GetString(1),
            Etag(reader.GetInt64(0)),
            new DateTimeOffset(reader.ReadUtc(2)));
    }

    public async Task<string> WriteAsync(GrainStateKey key, string payload, string? etag, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(payload);
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        long newVersion;
        DbCommand command;
        if (etag is null)
        {
            newVersion = 1;
            command = KeyedCommand(connection, """
                INSERT INTO oc_grain_state (service_id, grain_type, grain_key, state_name, version, payload, modified_utc)
                VALUES (@service_id, @grain_type, @grain_key, @state_name, 1, @payload, @modified_utc)
                ON CONFLICT DO NOTHING
                """, key);
        }
        else
        {
            var expected = ParseEtag(key, etag, "Write");
            newVersion = expected + 1;
            command = KeyedCommand(connection,
                $"UPDATE oc_grain_state SET version = version + 1, payload = @payload, modified_utc = @modified_utc WHERE {KeyFilter} AND version = @etag",
                key);
            command.AddParameter("etag", expected);
        }
        await using (command)
        {
            command.AddParameter("payload", payload);
            command.AddParameter("modified_utc", time.GetUtcNow().UtcDateTime);
            if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) != 1)
                throw await ConflictAsync(key, etag, "Write", cancellationToken).ConfigureAwait(false);
        }
        return Etag(newVersion);
    }

    public async Task<string?> ClearAsync(GrainStateKey key, string? etag, CancellationToken cancellationToken)
    {
        if (etag is null)
        {
            // Nothing was read, so nothing may be there to clear.
            if (await ReadAsync(key, cancellationToken).ConfigureAwait(false) is null) return null;
            throw await ConflictAsync(key, etag, "Clear", cancellationToken).ConfigureAwait(false);
        }
        var expected = ParseEtag(key, etag, "Clear");
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = KeyedCommand(connection,
            $"UPDATE oc_grain_state SET version = version + 1, payload = NULL, modified_utc = @modified_utc WHERE {KeyFilter} AND version = @etag",
            key);
        command.AddParameter("etag", expected);
        command.AddParameter("modified_utc", time.GetUtcNow().UtcDateTime);
        if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) != 1)
            throw await ConflictAsync(key, etag, "Clear", cancellationToken).ConfigureAwait(false);
        return Etag(expected + 1);
    }

    private DbCommand KeyedCommand(DbConnection connection, string sql, GrainStateKey key)
    {
        var command = AdoNetDatabase.Command(connection, sql);
        command.AddParameter("service_id", database.ServiceId);
        command.AddParameter("grain_type", key.GrainType);
        command.AddParameter("grain_key", key.GrainKey);
        command.AddParameter("state_name", key.StateName);
        return command;
    }

    private static string Etag(long version) => version.ToString(CultureInfo.InvariantCulture);

    private static long ParseEtag(GrainStateKey key, string etag, string operation) =>
        long.TryParse(etag, NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            ? version
            : throw new InconsistentStateException($"{operation} of the {key} was rejected: etag '{etag}' is not a version issued by this storage.");

    private async Task<InconsistentStateException> ConflictAsync(GrainStateKey key, string? etag, string operation, CancellationToken cancellationToken)
    {
        var stored = await ReadAsync(key, cancellationToken).ConfigureAwait(false);
        return new InconsistentStateException(
            $"{operation} of the {key} was rejected: it was read at version {etag ?? "(none)"} but the stored version is " +
            $"{stored?.Etag ?? "(none: no record)"}; another activation or process changed it. Re-read the state and retry.");
    }
}
