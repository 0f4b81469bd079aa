using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;

namespace OrleansConnect.Grains.Cluster;

/// <summary>Puts the membership table back when its store loses it: a Redis restarted without persistence, a flushed
/// database, a deleted deployment's rows in PostgreSQL. Orleans never heals that by itself. Its silos accept only a table
/// whose version is newer than the last one they saw, so an emptied table (version 0) is ignored; a silo's own row is
/// gone, so its I-am-alive writes fail; and a silo that dies meanwhile can never be voted dead, because the votes are
/// written to a row that no longer exists. Its tasks would then wait for a death that never comes.
/// <para>This decorator keeps the last table this silo read. When a read finds the table older than that (a lower
/// version) or finds this running silo's own row missing, it writes back every row it remembers that is missing
/// (the dead silos' aside) and then raises the version past the one it remembered, through the provider's own
/// conditional writes, so every silo's Orleans accepts the table again. Silos that run restore together: each write is
/// conditional on the version it read, and a loser reads again and goes on from there. Silos that do not come back
/// are then voted dead as usual, their rows being back.</para>
/// <para>Only the provider's public operations are used, so it works the same for Redis and PostgreSQL. Raising the
/// version takes one conditional write per version step, a few milliseconds each; it happens once per loss.</para></summary>
public sealed class RestoringMembershipTable(IMembershipTable inner, Func<SiloAddress> self, ILogger<RestoringMembershipTable> logger) : IMembershipTable
{
    // Beyond this many writes a restore stops and tries again at the next read: a bound on one attempt, not on healing.
    private const int MaxWritesPerAttempt = 100_000;
    private readonly SemaphoreSlim _restoring = new(1, 1);
    private readonly Lock _gate = new();
    // The last table read that held this silo's row, and the newest version any read returned.
    private Dictionary<SiloAddress, MembershipEntry> _known = [];
    private int _knownVersion = -1;
    private MembershipEntry? _ownEntry;

    // Orleans 10 calls the cancellable operations; the others remain abstract (and obsolete) on the interface.
    public Task InitializeMembershipTable(bool tryInitTableVersion) => InitializeMembershipTableAsync(tryInitTableVersion, default);
    public Task DeleteMembershipTableEntries(string clusterId) => DeleteMembershipTableEntriesAsync(clusterId, default);
    public Task CleanupDefunctSiloEntries(DateTimeOffset beforeDate) => CleanupDefunctSiloEntriesAsync(beforeDate, default);
    public Task<MembershipTableData> ReadRow(SiloAddress key) => ReadRowAsync(key, default);
    public Task<MembershipTableData> ReadAll() => ReadAllAsync(default);
    public Task<bool> InsertRow(MembershipEntry entry, TableVersion tableVersion) => InsertRowAsync(entry, tableVersion, default);
    public Task<bool> UpdateRow(MembershipEntry entry, string etag, TableVersion tableVersion) => UpdateRowAsync(entry, etag, tableVersion, default);
    public Task UpdateIAmAlive(MembershipEntry entry) => UpdateIAmAliveAsync(entry, default);

    public Task InitializeMembershipTableAsync(bool tryInitTableVersion, CancellationToken cancellationToken) =>
        inner.InitializeMembershipTableAsync(tryInitTableVersion, cancellationToken);

    public Task DeleteMembershipTableEntriesAsync(string clusterId, CancellationToken cancellationToken) =>
        inner.DeleteMembershipTableEntriesAsync(clusterId, cancellationToken);

    public Task CleanupDefunctSiloEntriesAsync(DateTimeOffset beforeDate, CancellationToken cancellationToken) =>
        inner.CleanupDefunctSiloEntriesAsync(beforeDate, cancellationToken);

    public async Task<MembershipTableData> ReadAllAsync(CancellationToken cancellationToken)
    {
        MembershipTableData table;
        try
        {
            table = await inner.ReadAllAsync(cancellationToken);
        }
        catch (Exception e) when (IsVersionMissing(e) && HasOwnEntry)
        {
            // The version row went with the rows: the providers refuse to read a table without it, and no conditional
            // write succeeds without it either. Put it back (at version 0); the rows follow below.
            logger.LogWarning("The membership table's version is missing from its store; creating it again to restore the table");
            await inner.InitializeMembershipTableAsync(true, cancellationToken);
            table = await inner.ReadAllAsync(cancellationToken);
        }
        if (!IsLost(table)) return Remember(table);
        await RestoreAsync(table, cancellationToken);
        return Remember(await inner.ReadAllAsync(cancellationToken));
    }

    public async Task<MembershipTableData> ReadRowAsync(SiloAddress key, CancellationToken cancellationToken)
    {
        var row = await inner.ReadRowAsync(key, cancellationToken);
        if (!key.Equals(self()) || !IsLost(row, ownRowOnly: true)) return row;
        // This silo's own row is gone: check (and restore) the whole table, then answer from it.
        await ReadAllAsync(cancellationToken);
        return await inner.ReadRowAsync(key, cancellationToken);
    }

    public async Task<bool> InsertRowAsync(MembershipEntry entry, TableVersion tableVersion, CancellationToken cancellationToken)
    {
        var inserted = await inner.InsertRowAsync(entry, tableVersion, cancellationToken);
        if (inserted) RememberWrite(entry, tableVersion);
        return inserted;
    }

    public async Task<bool> UpdateRowAsync(MembershipEntry entry, string etag, TableVersion tableVersion, CancellationToken cancellationToken)
    {
        var updated = await inner.UpdateRowAsync(entry, etag, tableVersion, cancellationToken);
        if (updated) RememberWrite(entry, tableVersion);
        return updated;
    }

    public async Task UpdateIAmAliveAsync(MembershipEntry entry, CancellationToken cancellationToken)
    {
        try
        {
            await inner.UpdateIAmAliveAsync(entry, cancellationToken);
        }
        catch (Exception) when (HasOwnEntry && !cancellationToken.IsCancellationRequested)
        {
            // Failing because the row is gone (the store was emptied): restore it and write again. Any other failure
            // (store down) is thrown again by this read or by the second write.
            await ReadAllAsync(cancellationToken);
            await inner.UpdateIAmAliveAsync(entry, cancellationToken);
        }
    }

    private bool HasOwnEntry
    {
        get
        {
            lock (_gate) return _ownEntry is { Status: not SiloStatus.Dead };
        }
    }

    /// <summary>Does this failed read mean the table's version row is gone? Neither provider has an error of its own for
    /// it (Orleans 10.4): Redis says so in the message, ADO.NET reads the version from the first result row and fails on
    /// an empty result.</summary>
    private static bool IsVersionMissing(Exception e) =>
        e.Message.Contains("version is missing", StringComparison.OrdinalIgnoreCase)
        || (e is ArgumentOutOfRangeException && e.StackTrace?.Contains("ConvertToMembershipTableData", StringComparison.Ordinal) == true);

    /// <summary>Is this table older than the one this silo last read, or missing (or misstating) this silo's row while
    /// it runs? Other silos can change this silo's row only to declare it dead.</summary>
    private bool IsLost(MembershipTableData table, bool ownRowOnly = false)
    {
        lock (_gate)
        {
            if (_ownEntry is not { } own || own.Status is SiloStatus.Dead) return false;
            if (!ownRowOnly && table.Version.Version < _knownVersion) return true;
            return table.TryGet(own.SiloAddress) is not { } row || (row.Item1.Status != own.Status && row.Item1.Status != SiloStatus.Dead);
        }
    }

    private MembershipTableData Remember(MembershipTableData table)
    {
        var me = self();
        lock (_gate)
        {
            if (table.Version.Version < _knownVersion) return table;
            _knownVersion = table.Version.Version;
            // Only a table that holds this silo describes the cluster it belongs to (not one read while it was joining).
            if (table.TryGet(me) is { } own)
            {
                _ownEntry = own.Item1;
                _known = table.Members.ToDictionary(m => m.Item1.SiloAddress, m => m.Item1);
            }
        }
        return table;
    }

    private void RememberWrite(MembershipEntry entry, TableVersion version)
    {
        lock (_gate)
        {
            _knownVersion = Math.Max(_knownVersion, version.Version);
            _known[entry.SiloAddress] = entry;
            if (entry.SiloAddress.Equals(self())) _ownEntry = entry;
        }
    }

    private async Task RestoreAsync(MembershipTableData lost, CancellationToken cancellationToken)
    {
        await _restoring.WaitAsync(cancellationToken);
        try
        {
            Dictionary<SiloAddress, MembershipEntry> known;
            MembershipEntry own;
            int knownVersion;
            lock (_gate)
            {
                known = new Dictionary<SiloAddress, MembershipEntry>(_known);
                own = _ownEntry!;
                knownVersion = _knownVersion;
            }
            var table = await inner.ReadAllAsync(cancellationToken);
            if (!IsLost(table)) return;   // another silo restored it meanwhile
            logger.LogWarning(
                "The membership table was lost (version {Version} with {Rows} rows, where this silo last read version {KnownVersion} with {KnownRows}); restoring the rows this silo knows",
                lost.Version.Version, lost.Members.Count, knownVersion, known.Count);

            for (var writes = 0; writes < MaxWritesPerAttempt; writes++)
            {
                table = await inner.ReadAllAsync(cancellationToken);
                // A write that loses a race with another silo's changes nothing: the next turn reads again and goes on.
                var ownRow = table.TryGet(own.SiloAddress);
                if (ownRow is null)
                    await inner.InsertRowAsync(own, table.Version.Next(), cancellationToken);
                else if (ownRow.Item1.Status == SiloStatus.Dead)
                    return;   // declared dead meanwhile: Orleans stops this silo; nothing to restore
                else if (ownRow.Item1.Status != own.Status)
                    await inner.UpdateRowAsync(own, ownRow.Item2, table.Version.Next(), cancellationToken);
                else if (known.Values.FirstOrDefault(e => e.Status != SiloStatus.Dead && table.TryGet(e.SiloAddress) is null) is { } missing)
                    await inner.InsertRowAsync(missing, table.Version.Next(), cancellationToken);
                else if (table.Version.Version <= knownVersion)
                    // Every row is back, but the version trails what the silos saw, and they ignore an older table.
                    // Rewriting this silo's row unchanged moves it one step.
                    await inner.UpdateRowAsync(ownRow.Item1, ownRow.Item2, table.Version.Next(), cancellationToken);
                else
                {
                    logger.LogWarning("Restored the membership table: version {Version} with {Rows} rows, after {Writes} writes",
                        table.Version.Version, table.Members.Count, writes);
                    return;
                }
            }
            logger.LogWarning("The membership table is not restored yet after {Writes} writes; trying again at the next read", MaxWritesPerAttempt);
        }
        finally
        {
            _restoring.Release();
        }
    }
}
