using Microsoft.Extensions.Logging;
using OrleansConnect.Runtime.Hosting;
using OrleansConnect.Runtime.Timers;

namespace OrleansConnect.Runtime.Membership;

/// <summary>This silo's view of the cluster, kept from the membership table (Orleans' silo status oracle and
/// membership agent in one). Every <see cref="GrainRuntimeOptions.MembershipProbePeriod"/> it writes its heartbeat,
/// reads the table, and declares dead (a versioned update) every other incarnation whose heartbeat has not
/// changed for <see cref="GrainRuntimeOptions.SiloDeathTimeout"/>. Liveness is judged by whether the heartbeat
/// changes as seen on this silo's own clock, so clocks of different machines need not agree. A silo that missed a
/// heartbeat and whose silo-to-silo port refuses connections is declared dead without waiting for the timeout: its
/// process is gone (killed or crashed; its machine's kernel answers for it), whereas a paused or cut-off silo does
/// not refuse and is judged by the timeout alone.
/// A silo that finds itself declared dead, or could not heartbeat for the death timeout, calls
/// <see cref="DeclaredDead"/> (the silo stops every activation and rejoins as a new incarnation).</summary>
internal sealed partial class ClusterMembership : IClusterMembership
{
    private readonly AdoNetMembershipTable _table;
    private readonly GrainRuntimeOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Dictionary<(string, long), (DateTimeOffset Alive, long SeenAt)> _watch = [];
    private readonly object _lock = new();
    private volatile View _view;
    private CancellationTokenSource? _stop;
    private Task _loop = Task.CompletedTask;
    private long _lastHeartbeat;
    private volatile bool _paused;
    // Kept across rejoins: the rebalancer tells a restarted silo (new start) from a rejoined one.
    private DateTimeOffset? _startedAt;

    public ClusterMembership(AdoNetMembershipTable table, GrainRuntimeOptions options, TimeProvider time, RuntimeLogging logging)
    {
        _table = table;
        _options = options;
        _time = time;
        _logger = logging.CreateLogger<ClusterMembership>();
        LocalSiloId = options.SiloId;
        _view = new View([], 0);
    }

    public string LocalSiloId { get; }

    /// <summary>This silo's current incarnation (0 before it joined).</summary>
    public long Generation { get; private set; }

    /// <summary>host:port of this silo's silo-to-silo endpoint (set before joining).</summary>
    public string LocalAddress { get; set; } = "";

    /// <summary>Reported with each heartbeat; placement on other silos reads it.</summary>
    public Func<IReadOnlyDictionary<string, int>> ActivationCounts { get; set; } = () => new Dictionary<string, int>();

    /// <summary>Called (awaited, on the probe loop) when this incarnation is dead; the silo stops its activations
    /// and calls <see cref="RejoinAsync"/>.</summary>
    public Func<Task>? DeclaredDead { get; set; }

    /// <summary>Raised after the table view changed (a silo joined, changed status or died).</summary>
    public event Action<MembershipChange>? Changed;

    public IReadOnlyList<string> ActiveSilos => _view.ActiveSiloIds;

    public bool IsLive(string siloId) => _view.Entries.Any(e => e.SiloId == siloId && e.IsLive);

    public IReadOnlyList<MembershipEntry> Entries => _view.Entries;

    /// <summary>The active incarnations (placement targets), with the activation counts they last reported.</summary>
    public IReadOnlyList<MembershipEntry> ActiveEntries => _view.Active;

    /// <summary>The silo-to-silo address of the live incarnation of <paramref name="siloId"/>.</summary>
    public MembershipEntry? FindLive(string siloId) =>
        _view.Entries.Where(e => e.SiloId == siloId && e.IsLive).MaxBy(e => e.Generation);

    /// <summary>True while this silo heartbeated within the death timeout: nobody can have declared it dead yet.</summary>
    public bool HoldsLease
    {
        get
        {
            var last = Interlocked.Read(ref _lastHeartbeat);
            return Generation != 0 && last != 0 && _time.GetElapsedTime(last) < _options.SiloDeathTimeout;
        }
    }

    /// <summary>Test hook: stops heartbeats (as a paused process would) without stopping anything else.</summary>
    internal bool HeartbeatsPaused
    {
        get => _paused;
        set => _paused = value;
    }

    /// <summary>Inserts a new incarnation (Joining), declares this silo's older incarnations dead, then (if
    /// <paramref name="activate"/>) marks it Active.</summary>
    public async Task JoinAsync(bool activate, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var (version, entries) = await _table.ReadAllAsync(cancellationToken).ConfigureAwait(false);
        var previous = entries.Where(e => e.SiloId == LocalSiloId).Select(e => e.Generation).DefaultIfEmpty(0).Max();
        var generation = Math.Max(now.ToUnixTimeMilliseconds(), Math.Max(previous, Generation) + 1);
        _startedAt ??= now;
        var entry = new MembershipEntry(LocalSiloId, generation, LocalAddress, SiloMembershipStatus.Joining, _startedAt.Value, now, 0);
        while (!await _table.TryInsertAsync(entry, version, cancellationToken).ConfigureAwait(false))
            (version, _) = await _table.ReadAllAsync(cancellationToken).ConfigureAwait(false);
        Generation = generation;
        Interlocked.Exchange(ref _lastHeartbeat, _time.GetTimestamp());

        // An older incarnation of this silo is certainly gone (it is us, restarted): no need to wait for its timeout.
        (version, entries) = await _table.ReadAllAsync(cancellationToken).ConfigureAwait(false);
        foreach (var old in entries.Where(e => e.SiloId == LocalSiloId && e.Generation < generation && e.IsLive))
            version = await DeclareDeadAsync(old, version, "it is an older incarnation of this silo", cancellationToken).ConfigureAwait(false);

        if (activate) await SetStatusAsync(SiloMembershipStatus.Active, cancellationToken).ConfigureAwait(false);
        else await RefreshAsync(cancellationToken).ConfigureAwait(false);
        LogJoined(_logger, LocalSiloId, generation, LocalAddress);
    }

    public void StartProbing()
    {
        _stop = new CancellationTokenSource();
        var token = _stop.Token;
        using (ExecutionContext.SuppressFlow())
            _loop = Task.Run(() => ProbeLoopAsync(token));
    }

    public async Task StopProbingAsync()
    {
        if (_stop is null) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop = null;
    }

    /// <summary>Sets this incarnation's status (versioned, retried on version conflicts); false if it is already Dead.</summary>
    public async Task<bool> SetStatusAsync(SiloMembershipStatus status, CancellationToken cancellationToken)
    {
        while (true)
        {
            var (version, entries) = await _table.ReadAllAsync(cancellationToken).ConfigureAwait(false);
            var own = entries.FirstOrDefault(e => e.SiloId == LocalSiloId && e.Generation == Generation);
            if (own is null || !own.IsLive) return false;
            if (await _table.TryUpdateStatusAsync(LocalSiloId, Generation, status, version, cancellationToken).ConfigureAwait(false))
            {
                await RefreshAsync(cancellationToken).ConfigureAwait(false);
                return true;
            }
        }
    }

    /// <summary>Reads the table now and updates the view (also done on every probe).</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var (version, entries) = await _table.ReadAllAsync(cancellationToken).ConfigureAwait(false);
        Apply(version, entries);
    }

    private async Task ProbeLoopAsync(CancellationToken cancellationToken)
    {
        var cleanupEvery = Math.Max(1, (int)(TimeSpan.FromMinutes(10) / _options.MembershipProbePeriod));
        var round = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await TimeUtil.DelayAsync(_options.MembershipProbePeriod, _time, cancellationToken).ConfigureAwait(false);
                if (_paused) continue;
                await ProbeOnceAsync(cancellationToken).ConfigureAwait(false);
                if (++round % cleanupEvery == 0)
                    await _table.DeleteDefunctAsync(_time.GetUtcNow() - TimeSpan.FromHours(1), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogProbeFailed(_logger, ex, LocalSiloId);
                // Cut off from the table for the death timeout: the others may have declared us dead already.
                if (!HoldsLease) await OnDeclaredDeadAsync("it could not write its heartbeat for the death timeout").ConfigureAwait(false);
            }
        }
    }

    internal async Task ProbeOnceAsync(CancellationToken cancellationToken)
    {
        if (Generation != 0 && !HoldsLease)
        {
            // Paused (or starved) past the death timeout: act as dead before touching anything.
            await OnDeclaredDeadAsync("its last heartbeat is older than the death timeout").ConfigureAwait(false);
            return;
        }
        var alive = await _table.HeartbeatAsync(LocalSiloId, Generation, ActivationCounts(), cancellationToken).ConfigureAwait(false);
        if (!alive)
        {
            await OnDeclaredDeadAsync("the membership table says this incarnation is dead").ConfigureAwait(false);
            return;
        }
        Interlocked.Exchange(ref _lastHeartbeat, _time.GetTimestamp());

        var (version, entries) = await _table.ReadAllAsync(cancellationToken).ConfigureAwait(false);
        foreach (var entry in entries)
        {
            if (!entry.IsLive || (entry.SiloId == LocalSiloId && entry.Generation == Generation)) continue;
            var newer = entries.Any(e => e.SiloId == entry.SiloId && e.Generation > entry.Generation);
            if (newer)
            {
                version = await DeclareDeadAsync(entry, version, "a newer incarnation of it joined", cancellationToken).ConfigureAwait(false);
                continue;
            }
            var silent = SilentFor(entry);
            if (silent > _options.SiloDeathTimeout)
                version = await DeclareDeadAsync(entry, version,
                    $"its heartbeat has not changed for {_options.SiloDeathTimeout}", cancellationToken).ConfigureAwait(false);
            else if (entry.Status == SiloMembershipStatus.Active && silent > _options.MembershipProbePeriod * 1.5
                     && await RefusesConnectionsAsync(entry.Address, cancellationToken).ConfigureAwait(false))
                version = await DeclareDeadAsync(entry, version,
                    $"it missed a heartbeat and its silo port {entry.Address} refuses connections", cancellationToken).ConfigureAwait(false);
        }
        (version, entries) = await _table.ReadAllAsync(cancellationToken).ConfigureAwait(false);
        Apply(version, entries);
    }

    /// <summary>True when nothing listens at <paramref name="address"/> (host:port): the connection is actively refused.
    /// A timeout or any other failure is no proof of death and answers false.</summary>
    private static async Task<bool> RefusesConnectionsAsync(string address, CancellationToken cancellationToken)
    {
        // The transport calls http://{address}; read host and port the same way (IPv6 in brackets included).
        if (!Uri.TryCreate($"http://{address}", UriKind.Absolute, out var uri)) return false;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(1));
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(uri.IdnHost, uri.Port, timeout.Token).ConfigureAwait(false);
            return false;
        }
        catch (System.Net.Sockets.SocketException ex) when (ex.SocketErrorCode == System.Net.Sockets.SocketError.ConnectionRefused)
        {
            return true;
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return false;
        }
    }

    /// <summary>How long this silo has seen <paramref name="entry"/>'s heartbeat unchanged (tracked from first sight).</summary>
    private TimeSpan SilentFor(MembershipEntry entry)
    {
        lock (_lock)
        {
            var key = (entry.SiloId, entry.Generation);
            if (!_watch.TryGetValue(key, out var seen) || seen.Alive != entry.IAmAliveAt)
            {
                _watch[key] = (entry.IAmAliveAt, _time.GetTimestamp());
                return TimeSpan.Zero;
            }
            return _time.GetElapsedTime(seen.SeenAt);
        }
    }

    /// <summary>Declares <paramref name="entry"/> dead; returns the version to use next.</summary>
    private async Task<long> DeclareDeadAsync(MembershipEntry entry, long version, string why, CancellationToken cancellationToken)
    {
        if (await _table.TryUpdateStatusAsync(entry.SiloId, entry.Generation, SiloMembershipStatus.Dead, version, cancellationToken).ConfigureAwait(false))
        {
            LogDeclaredDead(_logger, entry.SiloId, entry.Generation, why);
            return version + 1;
        }
        // Someone else changed the table first (perhaps declaring the same silo dead): judge again on the fresh view.
        var (fresh, _) = await _table.ReadAllAsync(cancellationToken).ConfigureAwait(false);
        return fresh;
    }

    private async Task OnDeclaredDeadAsync(string why)
    {
        LogSelfDead(_logger, LocalSiloId, Generation, why);
        if (DeclaredDead is { } handler) await handler().ConfigureAwait(false);
    }

    /// <summary>After <see cref="DeclaredDead"/> stopped everything: joins again as a new incarnation, retrying
    /// until the table is reachable or <paramref name="cancellationToken"/> fires.</summary>
    public async Task RejoinAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                await JoinAsync(activate: true, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                LogProbeFailed(_logger, ex, LocalSiloId);
                await TimeUtil.DelayAsync(_options.MembershipProbePeriod, _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private void Apply(long version, IReadOnlyList<MembershipEntry> entries)
    {
        var old = _view;
        var next = new View(entries, version, LocalSiloId, Generation);
        _view = next;
        lock (_lock)
        {
            foreach (var key in _watch.Keys.Where(k => !entries.Any(e => (e.SiloId, e.Generation) == k && e.IsLive)).ToList())
                _watch.Remove(key);
        }
        if (old.Signature == next.Signature) return;
        var died = entries.Where(e => !e.IsLive && old.Entries.Any(o => o.SiloId == e.SiloId && o.Generation == e.Generation && o.IsLive)).ToList();
        var change = new MembershipChange(next.Entries, died);
        try
        {
            Changed?.Invoke(change);
        }
        catch (Exception ex)
        {
            LogListenerFailed(_logger, ex);
        }
    }

    private sealed class View
    {
        public View(IReadOnlyList<MembershipEntry> entries, long version, string? localSiloId = null, long localGeneration = 0)
        {
            Entries = entries;
            Version = version;
            // Only the newest live incarnation of a silo counts; an older one awaits being declared dead.
            Active = entries.Where(e => e.Status == SiloMembershipStatus.Active)
                .GroupBy(e => e.SiloId).Select(g => g.MaxBy(e => e.Generation)!)
                .Where(e => localSiloId is null || e.SiloId != localSiloId || e.Generation == localGeneration)
                .OrderBy(e => e.SiloId, StringComparer.Ordinal).ToList();
            ActiveSiloIds = Active.Select(e => e.SiloId).ToList();
            Signature = string.Join(";", entries.OrderBy(e => e.SiloId, StringComparer.Ordinal).ThenBy(e => e.Generation)
                .Select(e => $"{e.SiloId}/{e.Generation}/{e.Status}"));
        }

        public IReadOnlyList<MembershipEntry> Entries { get; }
        public IReadOnlyList<MembershipEntry> Active { get; }
        public IReadOnlyList<string> ActiveSiloIds { get; }
        public long Version { get; }
        public string Signature { get; }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo {SiloId} joined the cluster as generation {Generation} (silo endpoint {Address})")]
    private static partial void LogJoined(ILogger logger, string siloId, long generation, string address);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Declared silo {SiloId} generation {Generation} dead: {Reason}")]
    private static partial void LogDeclaredDead(ILogger logger, string siloId, long generation, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Silo {SiloId} generation {Generation} is dead ({Reason}): stopping all activations and rejoining")]
    private static partial void LogSelfDead(ILogger logger, string siloId, long generation, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Membership probe of silo {SiloId} failed")]
    private static partial void LogProbeFailed(ILogger logger, Exception exception, string siloId);

    [LoggerMessage(Level = LogLevel.Error, Message = "A membership change listener failed")]
    private static partial void LogListenerFailed(ILogger logger, Exception exception);
}

/// <summary>A new view of the table: all rows now, and the incarnations that went from live to Dead.</summary>
internal sealed record MembershipChange(IReadOnlyList<MembershipEntry> Entries, IReadOnlyList<MembershipEntry> Died);
