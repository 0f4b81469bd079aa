using OrleansConnect.Tests.Contract;
using OrleansConnect.Tests.Infrastructure;
using static OrleansConnect.Tests.Contract.ContractHttp;

namespace OrleansConnect.Tests.Dashboard;

/// <summary>The Orleans Dashboard over plain HTTP: served under /dashboard on the REST listener, beside Connect's routes
/// without changing any of them, and gone (Connect's 404) with dashboard.enable=false.</summary>
[Collection(BrokerCollection.Name)]
public sealed class DashboardRoutesTests(TestBroker broker, DashboardRoutesTests.Enabled enabled, DashboardRoutesTests.Disabled disabled)
    : IClassFixture<DashboardRoutesTests.Enabled>, IClassFixture<DashboardRoutesTests.Disabled>, IAsyncLifetime
{
    /// <summary>A silo with the default settings: the dashboard on.</summary>
    public sealed class Enabled : ContractSilo;

    public sealed class Disabled : ContractSilo
    {
        protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string> { ["dashboard.enable"] = "false" };
    }

    public Task InitializeAsync() => Task.WhenAll(enabled.StartAsync(broker), disabled.StartAsync(broker));

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Dashboard_redirects_to_its_trailing_slash_which_serves_the_page_and_its_api()
    {
        // No automatic redirects: the redirect itself is what is checked.
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = enabled.Client.BaseAddress };
        using var redirect = await client.GetAsync("dashboard");
        Assert.True((int)redirect.StatusCode is 301 or 302 or 307 or 308, $"GET /dashboard answered {(int)redirect.StatusCode}");
        Assert.Equal("/dashboard/", redirect.Headers.Location?.OriginalString);

        var page = await client.Get("dashboard/");
        AssertStatus(page, 200);
        Assert.Equal("text/html", page.ContentType);
        Assert.Contains("<title>Orleans Dashboard</title>", page.Text);

        // The page's script and its first data call resolve under the same prefix.
        using var script = await client.GetAsync("dashboard/index.min.js");
        Assert.Equal(200, (int)script.StatusCode);
        // The dashboard gathers its silo list in the background: right after a start it may still be empty.
        var hosts = await Eventually.Until(async () =>
            {
                var counters = await client.Get("dashboard/DashboardCounters");
                AssertStatus(counters, 200);
                return counters.Object["hosts"]!.AsArray();
            },
            h => h.Count > 0, TimeSpan.FromSeconds(30), h => $"the dashboard lists this silo; last: {h?.ToJsonString()}");
        Assert.Equal(enabled.Process.WorkerId, (string?)hosts.Single()!["siloName"]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("connectors")]
    [InlineData("connectors?expand=status")]
    [InlineData("connector-plugins")]
    [InlineData("admin/loggers")]
    [InlineData("connectors/dashboard")] // a connector named like the dashboard is still a connector
    [InlineData("dashboardx")]
    public async Task Connect_routes_answer_the_same_with_or_without_the_dashboard(string path)
    {
        var on = await enabled.Client.Get(path);
        var off = await disabled.Client.Get(path);
        Assert.Equal(off.Status, on.Status);
        Assert.Equal(Json, on.ContentType);
        // Same body but for what differs between two workers (the version and cluster id do not).
        Assert.Equal(off.Json?.ToJsonString(), on.Json?.ToJsonString());
        if (path == "connectors/dashboard") AssertConnectError(on, 404);
        if (path == "dashboardx") AssertConnectError(on, 404);
        if (path is "" or "connectors" or "connector-plugins" or "admin/loggers") AssertStatus(on, 200);
    }

    [Theory]
    [InlineData("dashboard")]
    [InlineData("dashboard/")]
    [InlineData("dashboard/index.min.js")]
    [InlineData("dashboard/DashboardCounters")]
    public async Task Disabled_dashboard_answers_Connects_404(string path)
    {
        var reply = await disabled.Client.Get(path);
        AssertConnectError(reply, 404);
    }

    private static void AssertConnectError(Reply reply, int status)
    {
        AssertError(reply, status);
        Assert.Equal(Json, reply.ContentType);
    }
}
