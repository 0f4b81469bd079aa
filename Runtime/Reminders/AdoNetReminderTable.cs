using System.Data.Common;
using OrleansConnect.Runtime.AdoNet;

namespace OrleansConnect.Runtime.Reminders;

/// <summary>Reminders in table oc_reminders (the period in milliseconds).</summary>
internal sealed class AdoNetReminderTable(AdoNetDatabase database, TimeProvider time) : IReminderTable
{
    private const string Columns = "grain_type, grain_key, reminder_name, start_utc, period_ms, last_tick_utc";
    private const string KeyFilter =
        "service_id = @service_id AND grain_type = @grain_type AND grain_key = @grain_key AND reminder_name = @reminder_name";

    public async Task<IReadOnlyList<ReminderEntry>> ReadAllAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = AdoNetDatabase.Command(connection, $"SELECT {Columns} FROM oc_reminders WHERE service_id = @service_id");
        command.AddParameter("service_id", database.ServiceId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var entries = new List<ReminderEntry>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            entries.Add(ReadEntry(reader));
        return entries;
    }

    public async Task<ReminderEntry?> ReadRowAsync(GrainId grainId, string reminderName, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = KeyedCommand(connection, $"SELECT {Columns} FROM oc_reminders WHERE {KeyFilter}", grainId, reminderName);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadEntry(reader) : null;
    }

    public async Task UpsertRowAsync(ReminderEntry entry, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = KeyedCommand(connection, """
            INSERT INTO oc_reminders (service_id, grain_type, grain_key, reminder_name, start_utc, period_ms, last_tick_utc, modified_utc)
            VALUES (@service_id, @grain_type, @grain_key, @reminder_name, @start_utc, @period_ms, NULL, @modified_utc)
            ON CONFLICT (service_id, grain_type, grain_key, reminder_name)
            DO UPDATE SET start_utc = excluded.start_utc, period_ms = excluded.period_ms, last_tick_utc = NULL,
                          modified_utc = excluded.modified_utc
            """, entry.GrainId, entry.ReminderName);
        command.AddParameter("start_utc", entry.StartAt.UtcDateTime);
        command.AddParameter("period_ms", (long)entry.Period.TotalMilliseconds);
        command.AddParameter("modified_utc", time.GetUtcNow().UtcDateTime);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task RecordTickAsync(ReminderEntry entry, DateTimeOffset tick, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = KeyedCommand(connection,
            $"UPDATE oc_reminders SET last_tick_utc = @last_tick_utc WHERE {KeyFilter} AND start_utc = @start_utc AND period_ms = @period_ms",
            entry.GrainId, entry.ReminderName);
        command.AddParameter("last_tick_utc", tick.UtcDateTime);
        command.AddParameter("start_utc", entry.StartAt.UtcDateTime);
        command.AddParameter("period_ms", (long)entry.Period.TotalMilliseconds);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> TryClaimTickAsync(ReminderEntry entry, DateTimeOffset tick, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = KeyedCommand(connection,
            $"""
            UPDATE oc_reminders SET last_tick_utc = @last_tick_utc
            WHERE {KeyFilter} AND start_utc = @start_utc AND period_ms = @period_ms
              AND (last_tick_utc IS NULL OR last_tick_utc < @last_tick_utc)
            """,
            entry.GrainId, entry.ReminderName);
        command.AddParameter("last_tick_utc", tick.UtcDateTime);
        command.AddParameter("start_utc", entry.StartAt.UtcDateTime);
        command.AddParameter("period_ms", (long)entry.Period.TotalMilliseconds);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    public async Task<bool> RemoveRowAsync(GrainId grainId, string reminderName, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = KeyedCommand(connection, $"DELETE FROM oc_reminders WHERE {KeyFilter}", grainId, reminderName);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
    }

    private DbCommand KeyedCommand(DbConnection connection, string sql, GrainId grainId, string reminderName)
    {
        var command = AdoNetDatabase.Command(connection, sql);
        command.AddParameter("service_id", database.ServiceId);
        command.AddParameter("grain_type", grainId.Type);
        command.AddParameter("grain_key", grainId.Key);
        command.AddParameter("reminder_name", reminderName);
        return command;
    }

    private static ReminderEntry ReadEntry(DbDataReader reader) => new(
        new GrainId(reader.GetString(0), reader.GetString(1)),
        reader.GetString(2),
        new DateTimeOffset(reader.ReadUtc(3)),
        TimeSpan.FromMilliseconds(reader.GetInt64(4)),
        reader.IsDBNull(5) ? null : new DateTimeOffset(reader.ReadUtc(5)));
}
