using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace OrleansConnect.Bench;

/// <summary>One REST answer: its status code, or what happened instead (timeout, connection error), and how long it took.</summary>
public readonly record struct Answer(int Status, string Body, TimeSpan Elapsed, string? Failure)
{
    public bool Ok => Failure is null && Status is >= 200 and < 300;

    /// <summary>"201", "500", "timeout", "connection error", "request error": the key answers are counted by.</summary>
    public string Outcome => Failure ?? Status.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The bench's HTTP client: every request has its own deadline, and a silo that answers 5xx, refuses or
/// times out gives an <see cref="Answer"/> to count, never an exception (only the run's own cancellation throws).</summary>
public sealed class Rest : IDisposable
{
    private readonly HttpClient _client = new(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(5) })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    public async Task<Answer> SendAsync(HttpMethod method, Uri uri, string? json, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!uri.IsLoopback) throw new ArgumentException($"The bench only talks to loopback, not {uri}.", nameof(uri));
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var clock = Stopwatch.StartNew();
        try
        {
            using var request = new HttpRequestMessage(method, uri);
            if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseContentRead, deadline.Token);
            var body = await response.Content.ReadAsStringAsync(deadline.Token);
            return new Answer((int)response.StatusCode, body, clock.Elapsed, null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new Answer(0, "", clock.Elapsed, "timeout");
        }
        catch (HttpRequestException e)
        {
            return new Answer(0, "", clock.Elapsed, e.HttpRequestError switch
            {
                HttpRequestError.ConnectionError => "connection error",
                // Mostly a connection the silo closed mid-request (a stopping or killed silo).
                HttpRequestError.Unknown => "request error",
                var other => other.ToString(),
            });
        }
    }

    public void Dispose() => _client.Dispose();
}

/// <summary>Answers counted by outcome, safe to add to from concurrent clients.</summary>
public sealed class Outcomes
{
    private readonly ConcurrentDictionary<string, int> _counts = new();

    public void Add(string outcome) => _counts.AddOrUpdate(outcome, 1, (_, n) => n + 1);

    public int Total => _counts.Values.Sum();

    /// <summary>Answers outside 2xx: a status code, a timeout or a connection error.</summary>
    public int NotOk => _counts.Where(c => !(c.Key.Length == 3 && c.Key[0] == '2')).Sum(c => c.Value);

    public override string ToString() => _counts.IsEmpty ? "none"
        : string.Join(", ", _counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} ×{c.Value}"));

    /// <summary>Only what is not 2xx, for a summary line.</summary>
    public string Failures() => NotOk == 0 ? "none"
        : string.Join(", ", _counts.Where(c => !(c.Key.Length == 3 && c.Key[0] == '2')).OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} ×{c.Value}"));
}
