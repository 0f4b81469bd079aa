using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using OrleansConnect.Tests.Cluster;
using OrleansConnect.Tests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace OrleansConnect.Tests.Dashboard;

/// <summary>The Orleans Dashboard in a real browser (Debian's chromium driven by Playwright) on a two-silo cluster:
/// each silo's /dashboard shows both silos, and the Grains page shows the connector's ConnectorGrain and TaskGrains.</summary>
[Collection(BrokerCollection.Name)]
public sealed partial class DashboardBrowserTests(TestBroker broker, PostgresServer postgres, ITestOutputHelper output)
    : IClassFixture<PostgresServer>, IAsyncLifetime
{

    // The dashboard polls its counters every second; a silo's stats reach it after the silo's first report.
    private static readonly LocatorAssertionsToHaveCountOptions CountWithin = new() { Timeout = 30_000 };
    private static readonly LocatorAssertionsToHaveTextOptions TextWithin = new() { Timeout = 30_000 };
    private static readonly LocatorAssertionsToBeVisibleOptions VisibleWithin = new() { Timeout = 30_000 };

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "oc-dashboard-" + Guid.NewGuid().ToString("N")[..8]);
    private SiloCluster? _cluster;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        _cluster = new SiloCluster(_dir, broker.BootstrapServers, postgres.ConnectionString);
        var started = Stopwatch.StartNew();
        await _cluster.StartAsync(2);
        output.WriteLine($"2 silos healthy in {started.Elapsed.TotalSeconds:F1} s");

        _playwright = await Playwright.CreateAsync();
        _browser = await SystemChromium.LaunchAsync(_playwright);
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        if (_cluster is not null) await _cluster.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Each_silo_dashboard_shows_both_silos_and_the_connector_and_task_grains()
    {
        Assert.NotNull(_cluster);
        var topic = "dashboard-" + Guid.NewGuid().ToString("N")[..6];
        broker.Broker.CreateTopic(topic, 2);
        var name = topic;
        await _cluster[0].Client.CreateConnectorAsync(name, new Dictionary<string, string>
        {
            ["connector.class"] = "FileStreamSink",
            ["topics"] = topic,
            ["file"] = Path.Combine(_dir, "out.txt"),
            ["tasks.max"] = "2",
        });
        var status = await _cluster[0].Client.WaitForStateAsync(name, "RUNNING", 2, TimeSpan.FromSeconds(30));
        output.WriteLine("connector status: " + status!.ToJsonString());

        var workerIds = _cluster.Silos.Select(s => s.WorkerId).Order().ToList();
        foreach (var silo in _cluster.Silos)
        {
            var page = await _browser!.NewPageAsync();
            try
            {
                await SilosPageShowsBothSilosAsync(page, silo, workerIds);
                await GrainsPageShowsConnectorAndTaskGrainsAsync(page);
            }
            catch
            {
                output.WriteLine($"dashboard of {silo.WorkerId} at {page.Url}:\n{await ContentTextAsync(page)}");
                throw;
            }
            finally
            {
                await page.CloseAsync();
            }
        }
    }

    private async Task SilosPageShowsBothSilosAsync(IPage page, SiloProcess silo, List<string> workerIds)
    {
        var response = await page.GotoAsync($"http://127.0.0.1:{silo.Port}/dashboard/#/silos");
        Assert.Equal(200, response!.Status);
        await Expect(page).ToHaveTitleAsync("Orleans Dashboard");
        await Expect(page.Locator("#content h1")).ToHaveTextAsync(new Regex("^Silos"), TextWithin);

        // "Silo Health" lists one row per silo in the membership table: address link, status, silo name (the worker id).
        var health = page.Locator(".card", new() { Has = page.Locator("h3.card-title", new() { HasText = "Silo Health" }) });
        var rows = health.Locator("tbody tr");
        await Expect(rows).ToHaveCountAsync(2, CountWithin);
        await Expect(rows.Filter(new() { HasText = "Active" })).ToHaveCountAsync(2, CountWithin);
        await Expect(page.Locator(".info-box", new() { HasText = "Active Silos" }).Locator(".info-box-number")).ToHaveTextAsync("2", TextWithin);

        var addresses = await rows.Locator("a[href^='#/host/']").AllInnerTextsAsync();
        Assert.Equal(2, addresses.Distinct().Count());
        Assert.All(addresses, a => Assert.Matches(SiloAddress(), a));
        var names = new List<string>();
        for (var i = 0; i < 2; i++) names.Add(await rows.Nth(i).Locator("td").Nth(2).InnerTextAsync());
        Assert.Equal(workerIds, names.Order().ToList());
        output.WriteLine($"{silo.WorkerId} dashboard lists silos {string.Join(", ", addresses)}");
    }

    private async Task GrainsPageShowsConnectorAndTaskGrainsAsync(IPage page)
    {
        // The menu link, as a person gets there: the dashboard is a single page routed by the URL's hash.
        await page.Locator("#menu a[href='#/grains']").ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/dashboard/#/grains$"));
        await Expect(page.Locator("#content h1")).ToHaveTextAsync(new Regex("^Grains"), TextWithin);

        // Activations by type, summed over the silos: one connector, two tasks (wherever each runs).
        foreach (var (type, activations) in new[] { ("OrleansConnect.Grains.Connectors.ConnectorGrain", "1"), ("OrleansConnect.Grains.Tasks.TaskGrain", "2") })
        {
            var row = page.Locator($"tr:has(td[title='{type}'])");
            await Expect(row.Locator($"a[href='#/grain/{type}']")).ToBeVisibleAsync(VisibleWithin);
            await Expect(row.Locator("td").Nth(2)).ToHaveTextAsync(activations, TextWithin);
        }
    }

    private static async Task<string> ContentTextAsync(IPage page)
    {
        try { return await page.Locator("#content").InnerTextAsync(new() { Timeout = 5_000 }); }
        catch (PlaywrightException e) { return "(no content: " + e.Message + ")"; }
    }

    /// <summary>An Orleans silo address: endpoint and generation.</summary>
    [GeneratedRegex(@"^127\.0\.0\.1:\d+@\d+$")]
    private static partial Regex SiloAddress();
}
