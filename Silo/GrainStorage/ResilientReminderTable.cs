using Orleans;
using Orleans.Runtime;

namespace OrleansConnect.Silo.GrainStorage;

/// <summary>Orleans' ADO.NET reminder table with the same retries and errors as grain state (<see cref="StorageRetry"/>).
/// Registering a reminder runs on the silo that owns the grain's hash range, so an Npgsql exception from it would reach
/// the grain (and the REST client) through a grain call, where Orleans has no codec for it; a
/// <see cref="Grains.Interfaces.Errors.StorageFailedException"/> arrives as Connect's 500 with its meaning.</summary>
internal sealed class ResilientReminderTable(IReminderTable inner, StorageRetry retry) : IReminderTable
{
    public Task StartAsync(CancellationToken cancellationToken = default) =>
        retry.ExecuteAsync("read the reminder statements", inner, static (t, _, ct) => t.StartAsync(ct), cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken = default) => inner.StopAsync(cancellationToken);

    public Task<ReminderTableData> ReadRows(GrainId grainId) =>
        retry.ExecuteAsync($"read the reminders of {ResilientGrainStorage.Describe(grainId)}", (inner, grainId),
            static (s, _, _) => s.inner.ReadRows(s.grainId), CancellationToken.None);

    public Task<ReminderTableData> ReadRows(uint begin, uint end) =>
        retry.ExecuteAsync($"read the reminders of hash range ({begin:X8}, {end:X8}]", (inner, begin, end),
            static (s, _, _) => s.inner.ReadRows(s.begin, s.end), CancellationToken.None);

    public Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName) =>
        retry.ExecuteAsync($"read reminder '{reminderName}' of {ResilientGrainStorage.Describe(grainId)}", (inner, grainId, reminderName),
            static (s, _, _) => s.inner.ReadRow(s.grainId, s.reminderName), CancellationToken.None);

    // An upsert may simply be repeated.
    public Task<string?> UpsertRow(ReminderEntry entry) =>
        retry.ExecuteAsync($"register reminder '{entry.ReminderName}' of {ResilientGrainStorage.Describe(entry.GrainId)}", (inner, entry),
            static (s, _, _) => s.inner.UpsertRow(s.entry), CancellationToken.None);

    public Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag) =>
        retry.ExecuteAsync($"remove reminder '{reminderName}' of {ResilientGrainStorage.Describe(grainId)}", (inner, grainId, reminderName, eTag),
            static async (s, attempts, _) =>
            {
                if (await s.inner.RemoveRow(s.grainId, s.reminderName, s.eTag)) return true;
                // An earlier attempt whose answer was lost may have removed the row: then the row is gone, as asked.
                return attempts.Failures > 0 && await s.inner.ReadRow(s.grainId, s.reminderName) is null;
            }, CancellationToken.None);

    public Task TestOnlyClearTable() =>
        retry.ExecuteAsync("clear the reminder table", inner, static (t, _, _) => t.TestOnlyClearTable(), CancellationToken.None);
}
