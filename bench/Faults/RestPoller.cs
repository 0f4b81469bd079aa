using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using OrleansConnect.Bench;

namespace OrleansConnect.Faults;

/// <summary>What an operator's tooling sees during a fault: every ~200 ms, on every silo whose process exists (a frozen
/// one included), <c>GET /connectors</c>, <c>GET /connectors?expand=status</c> and <c>GET /connectors/{name}/status</c>
/// for each connector of the run. Answers are counted per phase (<see cref="Phase"/>; none while it is null), and every
/// body is searched for a .NET stack trace (outside the tasks' <c>trace</c> fields, which carry one as in Connect).
/// The task states seen in the listings are kept too: when a task was first seen FAILED, and with what.</summary>
public sealed class RestPoller(Rest rest, IReadOnlyList<SiloNode> silos, Func<IReadOnlyList<string>> connectors) : IAsyncDisposable
{
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<string, Outcomes> _byPhase = new();
    private readonly ConcurrentDictionary<string, Outcomes> _byPhaseAndEndpoint = new();
    private readonly ConcurrentDictionary<string, int> _stackTraces = new();
    private readonly ConcurrentQueue<string> _stackTraceExamples = new();
    private readonly ConcurrentDictionary<string, (long At, string Trace)> _firstFailed = new();
    private readonly ConcurrentDictionary<string, int> _failedSightings = new();
    private readonly ConcurrentDictionary<string, string> _lastState = new();
    private readonly ConcurrentDictionary<string, int> _failedEpisodes = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private List<Task> _loops = [];
    private volatile string? _phase;

    /// <summary>The phase answers are counted under (e.g. "fault", "recovery"); null: not counted.</summary>
    public string? Phase { get => _phase; set => _phase = value; }

    public void Start() => _loops = [.. silos.Select(silo => Task.Run(() => PollAsync(silo, _stop.Token)))];

    /// <summary>Answers of one phase by outcome ("200", "500", "timeout", "connection error").</summary>
    public Outcomes Answers(string phase) => _byPhase.GetOrAdd(phase, _ => new Outcomes());

    /// <summary>The answers outside 2xx of one phase, per endpoint: "GET /connectors 500 ×3; …".</summary>
    public string Failures(string phase)
    {
        var parts = _byPhaseAndEndpoint.Where(e => e.Key.StartsWith(phase + "|", StringComparison.Ordinal) && e.Value.NotOk > 0)
            .OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key[(phase.Length + 1)..]}: {e.Value.Failures()}").ToList();
        return parts.Count == 0 ? "none" : string.Join("; ", parts);
    }

    public int StackTraces(string phase) => _stackTraces.GetValueOrDefault(phase);

    public string? StackTraceExample => _stackTraceExamples.TryPeek(out var e) ? e : null;

    /// <summary>Tasks seen FAILED at least once (in any phase), with the first trace line; and how many listings showed
    /// a FAILED task in all.</summary>
    public IReadOnlyDictionary<string, (long At, string Trace)> FirstFailed => _firstFailed;

    public int FailedSightings(string task) => _failedSightings.GetValueOrDefault(task);

    /// <summary>How many times a task went FAILED (from another state, or first seen so) in one silo's listings: the
    /// most any silo saw. A restart that fails again within one poll is not seen, so this is a lower bound.</summary>
    public int FailedEpisodes(string task) =>
        _failedEpisodes.Where(e => e.Key.EndsWith("|" + task, StringComparison.Ordinal)).Select(e => e.Value).DefaultIfEmpty(0).Max();

    /// <summary>Milliseconds since the poller was created (the clock of <see cref="FirstFailed"/>).</summary>
    public long Now => _clock.ElapsedMilliseconds;

    private async Task PollAsync(SiloNode silo, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var round = Stopwatch.StartNew();
            if (silo.IsRunning)
            {
                await GetAsync(silo, "connectors", "GET /connectors", cancellationToken);
                await GetAsync(silo, "connectors?expand=status", "GET /connectors?expand=status", cancellationToken);
                foreach (var name in connectors()) await GetAsync(silo, $"connectors/{name}/status", "GET /connectors/{name}/status", cancellationToken);
            }
            var rest = Period - round.Elapsed;
            try
            {
                if (rest > TimeSpan.Zero) await Task.Delay(rest, cancellationToken);
            }
            catch (OperationCanceledException) { return; }
        }
    }

    private async Task GetAsync(SiloNode silo, string path, string endpoint, CancellationToken cancellationToken)
    {
        if (!silo.IsRunning) return;
        Answer answer;
        try
        {
            answer = await rest.SendAsync(HttpMethod.Get, new Uri(silo.BaseAddress, path), null, RequestTimeout, cancellationToken);
        }
        catch (OperationCanceledException) { return; }
        var phase = _phase;
        if (endpoint == "GET /connectors?expand=status" && answer.Status == 200) NoteStates(silo.WorkerId, answer.Body);
        if (phase is null) return;
        Answers(phase).Add(answer.Outcome);
        _byPhaseAndEndpoint.GetOrAdd(phase + "|" + endpoint, _ => new Outcomes()).Add(answer.Outcome);
        if (answer.Body.Length > 0 && StackTraceFinder.Find(answer.Body) is { } frame)
        {
            _stackTraces.AddOrUpdate(phase, 1, (_, n) => n + 1);
            if (_stackTraceExamples.IsEmpty) _stackTraceExamples.Enqueue($"{endpoint} {answer.Status}: {frame}");
        }
    }

    private void NoteStates(string worker, string body)
    {
        JsonObject? map;
        try { map = JsonNode.Parse(body) as JsonObject; }
        catch (JsonException) { return; }
        foreach (var (name, entry) in map ?? [])
        {
            foreach (var task in entry?["status"]?["tasks"]?.AsArray() ?? [])
            {
                var key = $"{name}-{(int?)task?["id"]}";
                var state = (string?)task?["state"] ?? "";
                var previous = _lastState.GetValueOrDefault(worker + "|" + key);
                _lastState[worker + "|" + key] = state;
                if (state != "FAILED") continue;
                if (previous != "FAILED") _failedEpisodes.AddOrUpdate(worker + "|" + key, 1, (_, n) => n + 1);
                _failedSightings.AddOrUpdate(key, 1, (_, n) => n + 1);
                // The exception's line, not the restart note the runtime puts above it.
                var lines = ((string?)task?["trace"] ?? "").Split('\n');
                var trace = (lines.FirstOrDefault(l => l.Contains("Exception", StringComparison.Ordinal)) ?? lines[0]).Trim();
                _firstFailed.TryAdd(key, (Now, trace.Length > 160 ? trace[..160] + "…" : trace));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops);
        _stop.Dispose();
    }
}

/// <summary>Finds a .NET stack trace in a REST body, the tasks' <c>trace</c> fields aside.</summary>
public static class StackTraceFinder
{
    /// <summary>The first frame-like text ("   at X.Y(…)" or "--- End of stack trace"), or null.</summary>
    public static string? Find(string body)
    {
        var text = body;
        if (body.TrimStart() is ['{' or '[', ..])
        {
            try
            {
                var node = JsonNode.Parse(body);
                RemoveTraces(node);
                text = node?.ToJsonString() ?? "";
            }
            catch (JsonException) { }
        }
        // In JSON a newline is "\n": a frame follows either that or a real newline.
        foreach (var marker in new[] { "--- End of stack trace", "\\n   at ", "\n   at " })
        {
            var at = text.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0) return text.Substring(at, Math.Min(120, text.Length - at)).Replace("\\n", " ").Replace('\n', ' ');
        }
        return null;
    }

    private static void RemoveTraces(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                obj.Remove("trace");
                foreach (var (_, child) in obj) RemoveTraces(child);
                break;
            case JsonArray array:
                foreach (var child in array) RemoveTraces(child);
                break;
        }
    }
}
