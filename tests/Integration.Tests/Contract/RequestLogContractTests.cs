using System.Text.RegularExpressions;
using OrleansConnect.Tests.Infrastructure;
using static OrleansConnect.Tests.Contract.ContractHttp;

namespace OrleansConnect.Tests.Contract;

/// <summary>One access-log line per request, in Kafka Connect's request log format (Jetty's extended NCSA format
/// plus milliseconds, RestServer.java), and none of ASP.NET Core's per-request INFO lines; read from the silo
/// process's own output.</summary>
[Collection(BrokerCollection.Name)]
public sealed class RequestLogContractTests(TestBroker broker, RequestLogContractTests.Silo silo)
    : IClassFixture<RequestLogContractTests.Silo>, IAsyncLifetime
{
    public sealed class Silo : ContractSilo;

    public Task InitializeAsync() => silo.StartAsync(broker);

    public Task DisposeAsync() => Task.CompletedTask;

    private List<string> LinesWith(string marker) =>
        silo.Process.Log.Split('\n').Where(l => l.Contains(marker, StringComparison.Ordinal)).ToList();

    [Fact]
    public async Task N_requests_give_N_access_log_lines_in_Connects_format()
    {
        const int n = 12;
        var probe = Guid.NewGuid().ToString("N");
        for (var i = 0; i < n; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"connectors?probe={probe}");
            request.Headers.UserAgent.ParseAdd("probe-client/1.0");
            using var response = await silo.Client.SendAsync(request);
            Assert.Equal(200, (int)response.StatusCode);
        }
        var missing = await silo.Client.Get($"connectors/missing-{probe}");
        AssertError(missing, 404);

        var lines = await Eventually.Until(() => Task.FromResult(LinesWith(probe)), l => l.Count >= n + 1, TimeSpan.FromSeconds(10),
            l => $"{l?.Count} access log lines for {n + 1} requests\n{silo.Process.Log}");
        Assert.Equal(n + 1, lines.Count);

        var pattern = new Regex(
            "OrleansConnect\\.Api\\.RequestLog\\[100\\] 127\\.0\\.0\\.1 - - \\[\\d{2}/[A-Z][a-z]{2}/\\d{4}:\\d{2}:\\d{2}:\\d{2} \\+0000\\] " +
            $"\"GET /connectors\\?probe={probe} HTTP/1\\.1\" 200 2 \"-\" \"probe-client/1\\.0\" \\d+$");
        Assert.All(lines.Take(n), line => Assert.Matches(pattern, line.TrimEnd('\r')));
        // The 404's line has its status and the bytes of its error body.
        Assert.Matches($"\"GET /connectors/missing-{probe} HTTP/1\\.1\" 404 {missing.Text.Length} \"-\" \"-\" \\d+$", lines[n].TrimEnd('\r'));

        // ASP.NET Core's own per-request lines (request starting/finished, endpoint executing/executed) are gone.
        Assert.DoesNotContain("info: Microsoft.AspNetCore", silo.Process.Log);
    }
}
