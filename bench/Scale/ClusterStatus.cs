using System.Collections.Concurrent;
using System.Text.Json;
using OrleansConnect.Bench;

namespace OrleansConnect.Scale;

public sealed record TaskState(int Id, string State, string WorkerId);

/// <summary>Every task of the bench's connectors as one look at the cluster saw it.</summary>
/// <param name="Tasks">Connector name → its tasks; a connector the look did not see (not listed, or its own status
/// request failed) is absent.</param>
public sealed record ClusterStatus(IReadOnlyDictionary<string, IReadOnlyList<TaskState>> Tasks, string Method, int FailedRequests, TimeSpan Took)
{
    /// <summary>Task states over the given connectors; "no task yet" for a connector listed without tasks, "unseen" for
    /// one the look did not see.</summary>
    public SortedDictionary<string, int> States(IEnumerable<string> connectors)
    {
        var states = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var name in connectors)
        {
            if (!Tasks.TryGetValue(name, out var tasks)) Add("unseen");
            else if (tasks.Count == 0) Add("no task yet");
            else foreach (var task in tasks) Add(task.State);
        }
        return states;

        void Add(string state) => states[state] = states.GetValueOrDefault(state) + 1;
    }

    public int Running(IEnumerable<string> connectors) =>
        connectors.Sum(n => Tasks.TryGetValue(n, out var tasks) ? tasks.Count(t => t.State == "RUNNING") : 0);

    /// <summary>RUNNING tasks per worker_id.</summary>
    public Dictionary<string, int> RunningByWorker() =>
        Tasks.Values.SelectMany(t => t).Where(t => t.State == "RUNNING").GroupBy(t => t.WorkerId).ToDictionary(g => g.Key, g => g.Count());

    public static string Format(SortedDictionary<string, int> states) => string.Join(", ", states.Select(s => $"{s.Key} {s.Value}"));

    /// <summary>GET /connectors?expand=status: name → {"status": {"tasks": [...]}}.</summary>
    public static Dictionary<string, IReadOnlyList<TaskState>> ParseExpanded(string json)
    {
        using var document = JsonDocument.Parse(json);
        var result = new Dictionary<string, IReadOnlyList<TaskState>>(StringComparer.Ordinal);
        foreach (var connector in document.RootElement.EnumerateObject())
            result[connector.Name] = connector.Value.TryGetProperty("status", out var status) ? ParseTasks(status) : [];
        return result;
    }

    /// <summary>The "tasks" array of one connector's status object.</summary>
    public static IReadOnlyList<TaskState> ParseTasks(JsonElement status)
    {
        if (!status.TryGetProperty("tasks", out var tasks) || tasks.ValueKind != JsonValueKind.Array) return [];
        return tasks.EnumerateArray().Select(t => new TaskState(
            t.TryGetProperty("id", out var id) ? id.GetInt32() : -1,
            t.TryGetProperty("state", out var state) ? state.GetString() ?? "" : "",
            t.TryGetProperty("worker_id", out var worker) ? worker.GetString() ?? "" : "")).ToList();
    }
}

/// <summary>Looks at every task's state: one <c>GET /connectors?expand=status</c> (rotating over the silos given), or,
/// once that failed three times in a row (5xx, timeout) or when asked for, <c>GET /connectors/{c}/status</c> per connector,
/// 8 at a time, until the next wait starts (right after a kill, expand=status answers 500 until membership has declared
/// the silo dead). Which one gave a figure is printed with it.</summary>
public sealed class StatusPoller(Rest rest, bool perConnector, Action<string> say)
{
    private const int FailuresBeforeSwitch = 3;
    private static readonly TimeSpan ExpandTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StatusTimeout = TimeSpan.FromSeconds(10);
    private readonly bool _perConnectorAsked = perConnector;
    private int _turn;
    private int _expandFailures;

    public bool PerConnector { get; private set; } = perConnector;

    public string Method => PerConnector ? "GET /connectors/{c}/status per connector" : "GET /connectors?expand=status";

    /// <summary>One look; null when an expand=status request failed (counted towards the switch).</summary>
    public async Task<ClusterStatus?> LookAsync(IReadOnlyList<Uri> silos, IReadOnlyList<string> connectors, CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        if (!PerConnector)
        {
            var silo = silos[_turn++ % silos.Count];
            var answer = await rest.SendAsync(HttpMethod.Get, new Uri(silo, "connectors?expand=status"), null, ExpandTimeout, cancellationToken);
            if (answer.Ok)
            {
                _expandFailures = 0;
                return new ClusterStatus(ClusterStatus.ParseExpanded(answer.Body), Method, 0, clock.Elapsed);
            }
            var body = answer.Body.Length > 200 ? answer.Body[..200] + "…" : answer.Body;
            say($"  GET {silo}connectors?expand=status: {answer.Outcome} after {answer.Elapsed.TotalSeconds:0.0} s{(body.Length > 0 ? ": " + body : "")}");
            if (++_expandFailures < FailuresBeforeSwitch) return null;
            PerConnector = true;
            say($"  {FailuresBeforeSwitch} failed expand=status requests in a row: looking at each connector's status from now on");
        }

        var tasks = new ConcurrentDictionary<string, IReadOnlyList<TaskState>>(StringComparer.Ordinal);
        var failed = 0;
        await Parallel.ForEachAsync(connectors.Select((name, i) => (name, i)),
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (item, token) =>
            {
                var silo = silos[(item.i + _turn) % silos.Count];
                var answer = await rest.SendAsync(HttpMethod.Get, new Uri(silo, $"connectors/{item.name}/status"), null, StatusTimeout, token);
                if (!answer.Ok)
                {
                    Interlocked.Increment(ref failed);
                    return;
                }
                using var document = JsonDocument.Parse(answer.Body);
                tasks[item.name] = ClusterStatus.ParseTasks(document.RootElement);
            });
        _turn++;
        return new ClusterStatus(new Dictionary<string, IReadOnlyList<TaskState>>(tasks, StringComparer.Ordinal), Method, failed, clock.Elapsed);
    }

    /// <summary>Looks until <paramref name="done"/> holds or the deadline passes (a look still running then is cut short):
    /// when it first held (from <paramref name="clock"/>), or null, and the last complete look.</summary>
    public async Task<(TimeSpan? At, ClusterStatus? Last, int Looks)> UntilAsync(IReadOnlyList<Uri> silos, IReadOnlyList<string> connectors,
        Func<ClusterStatus, bool> done, System.Diagnostics.Stopwatch clock, TimeSpan deadline, Action<ClusterStatus> progress,
        CancellationToken cancellationToken, TimeSpan? interval = null)
    {
        PerConnector = _perConnectorAsked;
        _expandFailures = 0;
        ClusterStatus? last = null;
        var looks = 0;
        TimeSpan? lastProgress = null;
        using var phase = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        phase.CancelAfter(deadline - clock.Elapsed > TimeSpan.Zero ? deadline - clock.Elapsed : TimeSpan.Zero);
        try
        {
            while (true)
            {
                var look = await LookAsync(silos, connectors, phase.Token);
                looks++;
                if (look is not null)
                {
                    last = look;
                    if (done(look)) return (clock.Elapsed, look, looks);
                    // Progress at most every 10 s: a look at 1,000 connectors can be quick.
                    if (lastProgress is null || clock.Elapsed - lastProgress >= TimeSpan.FromSeconds(10))
                    {
                        progress(look);
                        lastProgress = clock.Elapsed;
                    }
                }
                await Task.Delay(interval ?? TimeSpan.FromMilliseconds(500), phase.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested) // the deadline
        {
            return (null, last, looks);
        }
    }

    /// <summary>One look that answered within <paramref name="limit"/>, trying again after a failed one (a silo may time
    /// out once); null if none did.</summary>
    public async Task<ClusterStatus?> AnsweredLookAsync(IReadOnlyList<Uri> silos, IReadOnlyList<string> connectors, TimeSpan limit,
        CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(limit);
        try
        {
            while (true)
            {
                if (await LookAsync(silos, connectors, deadline.Token) is { } look) return look;
                await Task.Delay(TimeSpan.FromMilliseconds(500), deadline.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }
}
