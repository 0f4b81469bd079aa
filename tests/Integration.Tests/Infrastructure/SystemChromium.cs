using Microsoft.Playwright;

namespace OrleansConnect.Tests.Infrastructure;

/// <summary>Debian's chromium driven by Playwright: Playwright's own browser builds are never downloaded.</summary>
public static class SystemChromium
{
    public const string Path = "/usr/bin/chromium";

    public static Task<IBrowser> LaunchAsync(IPlaywright playwright)
    {
        if (!File.Exists(Path)) throw new InvalidOperationException($"{Path} is missing; install Debian's chromium package (.ci/run does).");
        return playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Path,
            Headless = true,
            // Root in CI has no usable sandbox; the rest keeps chromium from reaching out to the network.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"],
        });
    }
}
