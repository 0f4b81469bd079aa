using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using OrleansConnect.Runtime.AdoNet;

namespace OrleansConnect.Runtime.Membership;

/// <summary>The membership table (oc_membership) and its version row (oc_membership_version), as in Orleans'
/// ADO.NET clustering: every status change is a transaction that bumps the version only if it is still the one
/// the writer read (optimistic concurrency), so two silos acting on the same stale view cannot both win.
/// Heartbeats ("I am alive") are not versioned: they change no decision by themselves.</summary>
internal sealed class AdoNetMembershipTable(AdoNetDatabase database, TimeProvider time)
{
    private const string Columns = "silo_id, generation, address, status, start_utc, i_am_alive_utc, activation_count, type_counts";

    public async Task<(long Version, IReadOnlyList<MembershipEntry> Entries)> ReadAllAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        long version;
        await using (var read = Command(connection, "SELECT version FROM oc_membership_version WHERE service_id = @service_id"))
            version = await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is { } v and not DBNull
                ? Convert.ToInt64(v, CultureInfo.InvariantCulture) : 0;
        await using var command = Command(connection, $"SELECT {Columns} FROM oc_membership WHERE service_id = @service_id");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var entries = new List<MembershipEntry>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            entries.Add(new MembershipEntry(
                reader.GetString(0),
                reader.GetInt64(1),
                reader.GetString(2),
                Enum.Parse<SiloMembershipStatus>(reader.GetString(3)),
                new DateTimeOffset(reader.ReadUtc(4)),
                new DateTimeOffset(reader.ReadUtc(5)),
                reader.GetInt32(6),
                reader.IsDBNull(7) ? null : JsonSerializer.Deserialize<Dictionary<string, int>>(reader.GetString(7))));
        return (version, entries);
    }

    /// <summary>Adds a new incarnation under the version check; false if the version moved (read again, retry).</summary>
    public Task<bool> TryInsertAsync(MembershipEntry entry, long expectedVersion, CancellationToken cancellationToken) =>
        VersionedAsync(expectedVersion, async (connection, transaction) =>
        {
            await using var insert = Command(connection, $"""
                INSERT INTO oc_membership (service_id, {Columns})
                VALUES (@service_id, @silo_id, @generation, @address, @status, @start_utc, @i_am_alive_utc, @activation_count, NULL)
                """, transaction);
            insert.AddParameter("silo_id", entry.SiloId);
            insert.AddParameter("generation", entry.Generation);
            insert.AddParameter("address", entry.Address);
            insert.AddParameter("status", entry.Status.ToString());
            insert.AddParameter("start_utc", entry.StartedAt.UtcDateTime);
            insert.AddParameter("i_am_alive_utc", entry.IAmAliveAt.UtcDateTime);
            insert.AddParameter("activation_count", entry.ActivationCount);
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <summary>Sets the status of one incarnation under the version check. A Dead row never comes back to life.
    /// False if the version moved or the row is already Dead / missing.</summary>
    public Task<bool> TryUpdateStatusAsync(string siloId, long generation, SiloMembershipStatus status, long expectedVersion,
        CancellationToken cancellationToken) =>
        VersionedAsync(expectedVersion, async (connection, transaction) =>
        {
            await using var update = Command(connection,
                "UPDATE oc_membership SET status = @status WHERE service_id = @service_id AND silo_id = @silo_id AND generation = @generation AND status <> 'Dead'",
                transaction);
            update.AddParameter("status", status.ToString());
            update.AddParameter("silo_id", siloId);
            update.AddParameter("generation", generation);
            return await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }, cancellationToken);

    /// <summary>"I am alive": the heartbeat others watch, with the activation count placement uses.
    /// False if the row is gone or Dead (this incarnation was declared dead).</summary>
    public async Task<bool> HeartbeatAsync(string siloId, long generation, IReadOnlyDictionary<string, int> activationCounts,
        CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, """
            UPDATE oc_membership SET i_am_alive_utc = @now, activation_count = @activation_count, type_counts = @type_counts
            WHERE service_id = @service_id AND silo_id = @silo_id AND generation = @generation AND status <> 'Dead'
            """);
        command.AddParameter("now", time.GetUtcNow().UtcDateTime);
        command.AddParameter("activation_count", activationCounts.Values.Sum());
        command.AddParameter("type_counts", JsonSerializer.Serialize(activationCounts));
        command.AddParameter("silo_id", siloId);
        command.AddParameter("generation", generation);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <summary>Removes Dead rows older than <paramref name="before"/> (history nobody needs; a directory entry
    /// whose silo row is missing counts as dead anyway).</summary>
    public async Task<int> DeleteDefunctAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection,
            "DELETE FROM oc_membership WHERE service_id = @service_id AND status = 'Dead' AND i_am_alive_utc < @before");
        command.AddParameter("before", before.UtcDateTime);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<bool> VersionedAsync(long expectedVersion, Func<DbConnection, DbTransaction, Task<bool>> change,
        CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        int bumped;
        if (expectedVersion == 0)
        {
            // The first change of this service creates the version row; a racing creator makes this insert a no-op.
            await using var insert = Command(connection,
                "INSERT INTO oc_membership_version (service_id, version) VALUES (@service_id, 1) ON CONFLICT DO NOTHING", transaction);
            bumped = await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await using var update = Command(connection,
                "UPDATE oc_membership_version SET version = version + 1 WHERE service_id = @service_id AND version = @version", transaction);
            update.AddParameter("version", expectedVersion);
            bumped = await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        if (bumped != 1 || !await change(connection, transaction).ConfigureAwait(false))
        {
            await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
            return false;
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    private DbCommand Command(DbConnection connection, string sql, DbTransaction? transaction = null)
    {
        var command = AdoNetDatabase.Command(connection, sql, transaction);
        command.AddParameter("service_id", database.ServiceId);
        return command;
    }
}
