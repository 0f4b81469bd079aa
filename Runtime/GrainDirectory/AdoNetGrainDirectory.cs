using System.Collections.Concurrent;
using System.Data.Common;
using OrleansConnect.Runtime.AdoNet;
using OrleansConnect.Runtime.Membership;
using OrleansConnect.Runtime.Transport;

namespace OrleansConnect.Runtime.GrainDirectory;

/// <summary>The cluster's grain directory in table oc_grain_directory: one row per grain, pointing at its one
/// activation (silo, incarnation, activation id) with an epoch. Single activation is enforced by the database,
/// not by timing: a registration is a conditional insert, or a compare-and-swap on the epoch that only replaces
/// an entry that is empty (unregistered) or points at an incarnation the membership table does not hold live.
/// Of two silos racing, exactly one CAS succeeds; the other gets the winner back. Unregistering empties the row
/// but keeps its epoch, so epochs of a grain only ever grow (callers may fence on them).
/// A grain that moves between silos is handed off: its departing activation's entry is rewritten, in one conditional
/// update, into a reservation for the target silo, so there is no moment when the grain is registered nowhere and
/// another silo could activate it on the way; only the target may claim the reservation (or anyone, once it is stale).
/// Lookups are cached; an entry is dropped from the cache when its silo dies or a call finds it stale.</summary>
internal sealed class AdoNetGrainDirectory : IGrainDirectory
{
    private const string Select = """
        SELECT d.silo_id, d.silo_generation, d.activation_id, d.epoch, m.status, d.modified_utc
        FROM oc_grain_directory d
        LEFT JOIN oc_membership m
          ON m.service_id = d.service_id AND m.silo_id = d.silo_id AND m.generation = d.silo_generation
        """;
    // Reservations carry this activation id prefix; no activation id has it (they are GUIDs).
    internal const string HandOffPrefix = "handoff:";

    // A reservation the target has not claimed by then is abandoned (the mover died, or the target never got the call).
    internal static readonly TimeSpan HandOffLifetime = TimeSpan.FromSeconds(30);

    private const string KeyFilter = "d.service_id = @service_id AND d.grain_type = @grain_type AND d.grain_key = @grain_key";

    private readonly AdoNetDatabase _database;
    private readonly ClusterMembership _membership;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<GrainId, GrainAddress> _cache = new();

    public AdoNetGrainDirectory(AdoNetDatabase database, ClusterMembership membership, TimeProvider time)
    {
        _database = database;
        _membership = membership;
        _time = time;
        membership.Changed += change =>
        {
            foreach (var (grainId, address) in _cache)
                if (!change.Entries.Any(e => e.SiloId == address.SiloId && e.Generation == address.Generation && e.IsLive))
                    _cache.TryRemove(new KeyValuePair<GrainId, GrainAddress>(grainId, address));
        };
    }

    public async Task<GrainAddress> RegisterAsync(GrainAddress address, CancellationToken cancellationToken)
    {
        var generation = _membership.Generation;
        if (generation == 0 || address.SiloId != _membership.LocalSiloId)
            throw new SiloUnavailableException($"Silo {address.SiloId} has not joined the cluster; it cannot register grain {address.GrainId}.");
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await EnsureLocalIncarnationLiveAsync(connection, generation, address.GrainId, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            var current = await ReadAsync(connection, address.GrainId, cancellationToken).ConfigureAwait(false);
            if (current is { Address: { } live, Live: true } && !IsClaimable(current, generation))
            {
                _cache[address.GrainId] = live;
                return live;
            }
            var candidate = address with { Generation = generation, Epoch = (current?.Epoch ?? 0) + 1 };
            DbCommand command;
            if (current is null)
            {
                command = Command(connection, """
                    INSERT INTO oc_grain_directory (service_id, grain_type, grain_key, silo_id, silo_generation, activation_id, epoch, modified_utc)
                    VALUES (@service_id, @grain_type, @grain_key, @silo_id, @silo_generation, @activation_id, 1, @now)
                    ON CONFLICT DO NOTHING
                    """, address.GrainId);
            }
            else
            {
                command = Command(connection, """
                    UPDATE oc_grain_directory
                    SET silo_id = @silo_id, silo_generation = @silo_generation, activation_id = @activation_id, epoch = epoch + 1, modified_utc = @now
                    WHERE service_id = @service_id AND grain_type = @grain_type AND grain_key = @grain_key AND epoch = @epoch
                    """, address.GrainId);
                command.AddParameter("epoch", current.Epoch);
            }
            await using (command)
            {
                command.AddParameter("silo_id", address.SiloId);
                command.AddParameter("silo_generation", generation);
                command.AddParameter("activation_id", address.ActivationId);
                command.AddParameter("now", _time.GetUtcNow().UtcDateTime);
                if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1)
                {
                    _cache[address.GrainId] = candidate;
                    return candidate;
                }
            }
            // Lost a race: read the winner (or the entry that changed under us) and decide again.
        }
    }

    /// <summary>A reservation this incarnation may claim: one handed to it, or one left stale by a failed move.</summary>
    private bool IsClaimable(Entry entry, long localGeneration) =>
        entry.Address is { } reserved && IsHandOff(reserved)
        && ((reserved.SiloId == _membership.LocalSiloId && reserved.Generation == localGeneration)
            || _time.GetUtcNow() - entry.ModifiedAt > HandOffLifetime);

    internal static bool IsHandOff(GrainAddress address) => address.ActivationId.StartsWith(HandOffPrefix, StringComparison.Ordinal);

    /// <summary>Ends a migrating activation: its entry becomes a reservation for <paramref name="targetSilo"/> (its live
    /// incarnation), in the same conditional update that would otherwise empty it. Calls made meanwhile are routed to the
    /// target, which activates the grain there. Falls back to unregistering when the target is not active.</summary>
    public async Task HandOffAsync(GrainAddress address, string targetSilo, CancellationToken cancellationToken)
    {
        var target = _membership.ActiveEntries.FirstOrDefault(e => e.SiloId == targetSilo);
        if (target is null)
        {
            await UnregisterAsync(address, cancellationToken).ConfigureAwait(false);
            return;
        }
        _cache.TryRemove(new KeyValuePair<GrainId, GrainAddress>(address.GrainId, address));
        var reservation = new GrainAddress(address.GrainId, target.SiloId, HandOffPrefix + Guid.NewGuid().ToString("N"))
        {
            Generation = target.Generation,
            Epoch = address.Epoch,
        };
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, """
            UPDATE oc_grain_directory
            SET silo_id = @silo_id, silo_generation = @silo_generation, activation_id = @reservation, modified_utc = @now
            WHERE service_id = @service_id AND grain_type = @grain_type AND grain_key = @grain_key AND activation_id = @activation_id
            """, address.GrainId);
        command.AddParameter("silo_id", reservation.SiloId);
        command.AddParameter("silo_generation", reservation.Generation);
        command.AddParameter("reservation", reservation.ActivationId);
        command.AddParameter("activation_id", address.ActivationId);
        command.AddParameter("now", _time.GetUtcNow().UtcDateTime);
        if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1)
            _cache[address.GrainId] = reservation;
    }

    /// <summary>Drops a reservation nobody claimed (the move failed), so placement may put the grain anywhere.</summary>
    public async Task ReleaseHandOffAsync(GrainId grainId, CancellationToken cancellationToken)
    {
        if (_cache.TryGetValue(grainId, out var cached) && IsHandOff(cached)) _cache.TryRemove(grainId, out _);
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, $"""
            UPDATE oc_grain_directory SET activation_id = NULL, modified_utc = @now
            WHERE service_id = @service_id AND grain_type = @grain_type AND grain_key = @grain_key AND activation_id LIKE '{HandOffPrefix}%'
            """, grainId);
        command.AddParameter("now", _time.GetUtcNow().UtcDateTime);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task UnregisterAsync(GrainAddress address, CancellationToken cancellationToken)
    {
        _cache.TryRemove(new KeyValuePair<GrainId, GrainAddress>(address.GrainId, address));
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, """
            UPDATE oc_grain_directory SET activation_id = NULL, modified_utc = @now
            WHERE service_id = @service_id AND grain_type = @grain_type AND grain_key = @grain_key AND activation_id = @activation_id
            """, address.GrainId);
        command.AddParameter("activation_id", address.ActivationId);
        command.AddParameter("now", _time.GetUtcNow().UtcDateTime);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The live activation of the grain, or null (none, or its silo is dead).</summary>
    public async Task<GrainAddress?> LookupAsync(GrainId grainId, CancellationToken cancellationToken)
    {
        if (_cache.TryGetValue(grainId, out var cached)) return cached;
        return await LookupFreshAsync(grainId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads the table, bypassing the cache.</summary>
    public async Task<GrainAddress?> LookupFreshAsync(GrainId grainId, CancellationToken cancellationToken)
    {
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        var current = await ReadAsync(connection, grainId, cancellationToken).ConfigureAwait(false);
        if (current is { Address: { } live, Live: true })
        {
            _cache[grainId] = live;
            return live;
        }
        _cache.TryRemove(grainId, out _);
        return null;
    }

    /// <summary>Forgets a cached entry that turned out to be stale.</summary>
    public void Invalidate(GrainAddress address) =>
        _cache.TryRemove(new KeyValuePair<GrainId, GrainAddress>(address.GrainId, address));

    /// <summary>Grains whose entry points at an incarnation that is not live (dead, or gone from the table).</summary>
    public async Task<IReadOnlyList<GrainAddress>> ListOrphansAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = AdoNetDatabase.Command(connection, """
            SELECT d.grain_type, d.grain_key, d.silo_id, d.silo_generation, d.activation_id, d.epoch
            FROM oc_grain_directory d
            LEFT JOIN oc_membership m
              ON m.service_id = d.service_id AND m.silo_id = d.silo_id AND m.generation = d.silo_generation
            WHERE d.service_id = @service_id AND d.activation_id IS NOT NULL AND (m.status IS NULL OR m.status = 'Dead')
            """);
        command.AddParameter("service_id", _database.ServiceId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var orphans = new List<GrainAddress>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            orphans.Add(new GrainAddress(new GrainId(reader.GetString(0), reader.GetString(1)), reader.GetString(2), reader.GetString(4))
            {
                Generation = reader.GetInt64(3),
                Epoch = reader.GetInt64(5),
            });
        return orphans;
    }

    /// <summary>Live activations of <paramref name="grainType"/> per silo, and which of <paramref name="keys"/> are registered.</summary>
    public async Task<(Dictionary<string, int> PerSilo, HashSet<string> Registered)> CountAsync(string grainType, IReadOnlyCollection<string> keys,
        CancellationToken cancellationToken)
    {
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        var perSilo = new Dictionary<string, int>(StringComparer.Ordinal);
        await using (var count = AdoNetDatabase.Command(connection, """
            SELECT d.silo_id, COUNT(*)
            FROM oc_grain_directory d
            JOIN oc_membership m ON m.service_id = d.service_id AND m.silo_id = d.silo_id AND m.generation = d.silo_generation
            WHERE d.service_id = @service_id AND d.grain_type = @grain_type AND d.activation_id IS NOT NULL AND m.status <> 'Dead'
            GROUP BY d.silo_id
            """))
        {
            count.AddParameter("service_id", _database.ServiceId);
            count.AddParameter("grain_type", grainType);
            await using var reader = await count.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                perSilo[reader.GetString(0)] = Convert.ToInt32(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture);
        }
        var registered = new HashSet<string>(StringComparer.Ordinal);
        if (keys.Count == 0) return (perSilo, registered);
        await using var select = AdoNetDatabase.Command(connection, $"""
            SELECT grain_key FROM oc_grain_directory
            WHERE service_id = @service_id AND grain_type = @grain_type AND activation_id IS NOT NULL
              AND grain_key IN ({string.Join(", ", keys.Select((_, i) => $"@k{i}"))})
            """);
        select.AddParameter("service_id", _database.ServiceId);
        select.AddParameter("grain_type", grainType);
        var index = 0;
        foreach (var key in keys) select.AddParameter($"k{index++}", key);
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                registered.Add(reader.GetString(0));
        return (perSilo, registered);
    }

    private async Task EnsureLocalIncarnationLiveAsync(DbConnection connection, long generation, GrainId grainId, CancellationToken cancellationToken)
    {
        await using var command = AdoNetDatabase.Command(connection,
            "SELECT status FROM oc_membership WHERE service_id = @service_id AND silo_id = @silo_id AND generation = @generation");
        command.AddParameter("service_id", _database.ServiceId);
        command.AddParameter("silo_id", _membership.LocalSiloId);
        command.AddParameter("generation", generation);
        var status = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
        if (status is null or nameof(SiloMembershipStatus.Dead))
            throw new SiloUnavailableException(
                $"Silo {_membership.LocalSiloId} generation {generation} was declared dead; it cannot activate grain {grainId} until it has rejoined.");
    }

    private async Task<Entry?> ReadAsync(DbConnection connection, GrainId grainId, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, $"{Select} WHERE {KeyFilter}", grainId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) return null;
        var epoch = reader.GetInt64(3);
        if (reader.IsDBNull(2) || reader.IsDBNull(0)) return new Entry(null, epoch, false, default);
        var address = new GrainAddress(grainId, reader.GetString(0), reader.GetString(2))
        {
            Generation = reader.GetInt64(1),
            Epoch = epoch,
        };
        var live = !reader.IsDBNull(4) && reader.GetString(4) != nameof(SiloMembershipStatus.Dead);
        return new Entry(address, epoch, live, new DateTimeOffset(reader.ReadUtc(5)));
    }

    private DbCommand Command(DbConnection connection, string sql, GrainId grainId)
    {
        var command = AdoNetDatabase.Command(connection, sql);
        command.AddParameter("service_id", _database.ServiceId);
        command.AddParameter("grain_type", grainId.Type);
        command.AddParameter("grain_key", grainId.Key);
        return command;
    }

    private sealed record Entry(GrainAddress? Address, long Epoch, bool Live, DateTimeOffset ModifiedAt);
}
