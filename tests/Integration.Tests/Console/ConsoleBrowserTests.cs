using System.Text.RegularExpressions;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using OrleansConnect.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace OrleansConnect.Tests.Console;

/// <summary>The web console at /ui in a real browser (Debian's chromium driven by Playwright) against a real silo: it
/// lists a running pipeline, shows a failed task's trace and restart schedule, restarts the task and sees it RUNNING,
/// shows validate's errors next to the field when a new connector's config is bad, and pages and searches.
/// Set OC_CONSOLE_SCREENSHOTS to a directory to keep screenshots of these pages (docs/images holds them).</summary>
[Collection(BrokerCollection.Name)]
public sealed class ConsoleBrowserTests(TestBroker broker) : IAsyncLifetime
{
    private static readonly LocatorAssertionsToHaveTextOptions TextWithin = new() { Timeout = 30_000 };
    private static readonly LocatorAssertionsToBeVisibleOptions VisibleWithin = new() { Timeout = 30_000 };
    private static readonly LocatorAssertionsToContainTextOptions ContainsWithin = new() { Timeout = 30_000 };

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "oc-console-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string? _screenshots = Environment.GetEnvironmentVariable("OC_CONSOLE_SCREENSHOTS");
    private SiloProcess? _silo;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        // Automatic restarts far away: the test restarts the failed task itself, from the console.
        _silo = new SiloProcess(_dir, broker.BootstrapServers, new Dictionary<string, string> { ["task.restart.backoff.initial.ms"] = "600000" });
        await _silo.StartAsync();
        _playwright = await Playwright.CreateAsync();
        _browser = await SystemChromium.LaunchAsync(_playwright);
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        if (_silo is not null) await _silo.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task The_console_lists_a_pipeline_restarts_a_failed_task_and_shows_validation_errors()
    {
        var silo = _silo!;
        var topic = "console-" + Guid.NewGuid().ToString("N")[..6];
        broker.Broker.CreateTopic(topic, 1);
        var input = Path.Combine(_dir, "input.txt");
        LineFiles.Write(input, ["one", "two", "three"]);
        await silo.Client.CreateConnectorAsync("pipeline-source", new Dictionary<string, string>
        {
            ["connector.class"] = "FileStreamSource", ["file"] = input, ["topic"] = topic,
        });
        await silo.Client.CreateConnectorAsync("pipeline-sink", new Dictionary<string, string>
        {
            ["connector.class"] = "FileStreamSink", ["file"] = Path.Combine(_dir, "output.txt"), ["topics"] = topic,
        });
        // A sink whose output directory does not exist yet: its task fails at start.
        var missingDir = Path.Combine(_dir, "later");
        await silo.Client.CreateConnectorAsync("failing-sink", new Dictionary<string, string>
        {
            ["connector.class"] = "FileStreamSink", ["file"] = Path.Combine(missingDir, "output.txt"), ["topics"] = topic,
        });

        var page = await _browser!.NewPageAsync(new() { BaseURL = $"http://127.0.0.1:{silo.Port}" });
        await page.GotoAsync("/ui");

        // The list: both pipeline connectors RUNNING with their task on this silo, the failing one FAILED.
        var sourceRow = page.Locator("#connectors tr[data-connector='pipeline-source']");
        await Expect(sourceRow.Locator("td").Nth(2)).ToHaveTextAsync("RUNNING", TextWithin);
        await Expect(sourceRow.Locator("td.tasks")).ToHaveTextAsync("1 RUNNING", TextWithin);
        await Expect(sourceRow.Locator("td").Nth(8)).ToHaveTextAsync(silo.WorkerId, TextWithin);
        await Expect(page.Locator("#connectors tr[data-connector='pipeline-sink'] td.tasks")).ToHaveTextAsync("1 RUNNING", TextWithin);
        // Rates, lag and errors from the tasks' metrics: the three lines went through, nothing is behind, nothing failed.
        var sinkRow = page.Locator("#connectors tr[data-connector='pipeline-sink']");
        await Expect(sourceRow.Locator("td[data-metric='out-rate']")).ToHaveTextAsync(new Regex(@"^[0-9]+\.[0-9]$"), TextWithin);
        await Expect(sinkRow.Locator("td[data-metric='in-rate']")).ToHaveTextAsync(new Regex(@"^[0-9]+\.[0-9]$"), TextWithin);
        await Expect(sinkRow.Locator("td[data-metric='lag']")).ToHaveTextAsync("0", TextWithin);
        await Expect(sinkRow.Locator("td[data-metric='errors']")).ToHaveTextAsync("0", TextWithin);
        await Expect(sourceRow.Locator("td[data-metric='lag']")).ToHaveTextAsync("");
        await Expect(page.Locator("#connectors tr[data-connector='failing-sink'] td.tasks")).ToHaveTextAsync("1 FAILED", TextWithin);
        await Expect(page.Locator("#summary")).ToContainTextAsync("1 with failures", ContainsWithin);
        await Screenshot(page, "console-list.png");

        // The failed task: its trace names the missing file, with the automatic restart schedule. Keyboard only.
        await page.Locator("#connectors a", new() { HasText = "failing-sink" }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#detail-title")).ToHaveTextAsync("failing-sink", TextWithin);
        var taskRow = page.Locator("#tasks tr[data-task='0']");
        await Expect(taskRow.Locator("td").Nth(1)).ToHaveTextAsync("FAILED", TextWithin);
        await Expect(taskRow.Locator("td").Nth(8)).ToContainTextAsync("attempt 1, next at", ContainsWithin);
        // A task that failed as it started read nothing.
        await Expect(taskRow.Locator("td[data-metric='in-rate']")).ToHaveTextAsync("0.0", TextWithin);
        await Expect(taskRow.Locator("td[data-metric='lag']")).ToHaveTextAsync(new Regex("^(–|0)$"), TextWithin);
        await Expect(page.Locator("#traces pre")).ToContainTextAsync(missingDir, ContainsWithin);
        await Screenshot(page, "console-failed-task.png");

        // Fix the cause, restart the task from the console (confirmed first), and see it RUNNING.
        Directory.CreateDirectory(missingDir);
        await taskRow.GetByRole(AriaRole.Button, new() { Name = "Restart task 0" }).ClickAsync();
        await Expect(page.Locator("#confirm")).ToBeVisibleAsync(VisibleWithin);
        await Expect(page.Locator("#confirm-text")).ToHaveTextAsync("Restart task 0 of failing-sink?");
        await page.Keyboard.PressAsync("Enter"); // the dialog focuses Confirm
        await Expect(taskRow.Locator("td").Nth(1)).ToHaveTextAsync("RUNNING", TextWithin);
        await Expect(page.Locator("#traces pre")).ToHaveCountAsync(0);

        // A cancelled action does nothing.
        await page.GetByRole(AriaRole.Button, new() { Name = "Pause" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        Assert.Equal("RUNNING", (string?)(await silo.Client.StatusAsync("failing-sink"))!["connector"]!["state"]);

        // A new connector with a bad config: validate's error shows next to its field, nothing is created.
        await page.GotoAsync("/ui/#/");
        await page.GetByRole(AriaRole.Button, new() { Name = "New connector" }).ClickAsync();
        await page.Locator("#editor-json").FillAsync(new JsonObject
        {
            ["name"] = "bad-source",
            ["config"] = new JsonObject { ["connector.class"] = "FileStreamSource", ["tasks.max"] = "1", ["batch.size"] = "none" },
        }.ToJsonString());
        await page.GetByRole(AriaRole.Button, new() { Name = "Validate and save" }).ClickAsync();
        var fieldError = page.Locator("#editor-result li[data-field='batch.size']");
        await Expect(fieldError).ToBeVisibleAsync(VisibleWithin);
        await Expect(fieldError).ToContainTextAsync("batch.size");
        await Screenshot(page, "console-validation-errors.png");
        Assert.Null(await silo.Client.StatusAsync("bad-source"));

        // Fixed in place, it saves and opens the new connector's page.
        await page.Locator("#editor-json").FillAsync(new JsonObject
        {
            ["name"] = "bad-source",
            ["config"] = new JsonObject { ["connector.class"] = "FileStreamSource", ["tasks.max"] = "1", ["file"] = input, ["topic"] = topic },
        }.ToJsonString());
        await page.GetByRole(AriaRole.Button, new() { Name = "Validate and save" }).ClickAsync();
        await Expect(page.Locator("#detail-title")).ToHaveTextAsync("bad-source", TextWithin);
        await Expect(page.Locator("#tasks tr[data-task='0'] td").Nth(1)).ToHaveTextAsync("RUNNING", TextWithin);

        // Delete, confirmed: gone from the API and the list.
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await page.Locator("#confirm-ok").ClickAsync();
        await Expect(page.Locator("#list")).ToBeVisibleAsync(VisibleWithin);
        await Expect(page.Locator("#connectors tr[data-connector='bad-source']")).ToHaveCountAsync(0, new() { Timeout = 30_000 });
        Assert.Null(await silo.Client.StatusAsync("bad-source"));
    }

    [Fact]
    public async Task Many_connectors_page_by_fifty_and_search_narrows_them()
    {
        var silo = _silo!;
        // Stopped connectors: listed with their config, no tasks to run.
        var names = Enumerable.Range(0, 60).Select(i => $"many-{i:00}").ToList();
        foreach (var name in names)
        {
            var (status, body) = await silo.Client.SendAsync(HttpMethod.Post, "connectors", new JsonObject
            {
                ["name"] = name,
                ["config"] = new JsonObject { ["connector.class"] = "FileStreamSink", ["topics"] = "unused", ["file"] = Path.Combine(_dir, name) },
                ["initial_state"] = "STOPPED",
            }.ToJsonString());
            Assert.True(status == System.Net.HttpStatusCode.Created, $"create {name}: {(int)status} {body}");
        }

        var page = await _browser!.NewPageAsync(new() { BaseURL = $"http://127.0.0.1:{silo.Port}" });
        await page.GotoAsync("/ui/");
        await Expect(page.Locator("#page")).ToHaveTextAsync("Page 1 of 2", TextWithin);
        await Expect(page.Locator("#connectors tbody tr")).ToHaveCountAsync(50, new() { Timeout = 30_000 });
        await page.GetByRole(AriaRole.Button, new() { Name = "Next" }).ClickAsync();
        await Expect(page.Locator("#connectors tbody tr")).ToHaveCountAsync(10);
        await Expect(page.Locator("#connectors tbody tr").First).ToHaveAttributeAsync("data-connector", "many-50");

        await page.Locator("#search").FillAsync("many-4");
        await Expect(page.Locator("#connectors tbody tr")).ToHaveCountAsync(10);
        await Expect(page.Locator("#page")).ToHaveTextAsync("Page 1 of 1");
        await Expect(page.Locator("#summary")).ToContainTextAsync("10 of 60 connectors");
    }

    private async Task Screenshot(IPage page, string name)
    {
        if (string.IsNullOrEmpty(_screenshots)) return;
        Directory.CreateDirectory(_screenshots);
        await page.ScreenshotAsync(new() { Path = Path.Combine(_screenshots, name), FullPage = true });
    }
}
