using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OrleansConnect.Runtime.Tests.Infrastructure;

/// <summary>A temp folder for a test's SQLite file; deleted at the end.</summary>
public sealed class TempDirectory : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "oc-runtime-tests", Guid.NewGuid().ToString("N"));

    public TempDirectory() => Directory.CreateDirectory(Path);

    public void Dispose()
    {
        // Pooled connections keep the file open.
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Another test's pool may still hold a handle; the OS temp folder is cleaned eventually.
        }
    }
}

public static class TestSilo
{
    /// <summary>Options tuned for quick tests: short timeouts, no idle collection unless asked.</summary>
    public static void Defaults(GrainRuntimeOptions options, string dataDirectory)
    {
        options.ServiceId = "test-" + Path.GetFileName(dataDirectory);
        options.SiloId = "127.0.0.1:18083";
        options.DataDirectory = dataDirectory;
        options.GrainAssemblies.Add(typeof(TestSilo).Assembly);
        options.CallTimeout = TimeSpan.FromSeconds(10);
        options.CollectionAge = Timeout.InfiniteTimeSpan;
        options.DeactivationTimeout = TimeSpan.FromSeconds(5);
        options.ShutdownTimeout = TimeSpan.FromSeconds(5);
        options.MinimumReminderPeriod = TimeSpan.FromMilliseconds(100);
    }

    public static Task<SiloHost> StartAsync(string dataDirectory, Action<GrainRuntimeOptions>? configure = null, ILoggerFactory? logging = null) =>
        SiloHost.StartAsync(options =>
        {
            Defaults(options, dataDirectory);
            configure?.Invoke(options);
        }, services =>
        {
            if (logging is not null) services.AddSingleton(logging);
        });
}

public static class Poll
{
    /// <summary>Waits until <paramref name="condition"/> holds, failing after <paramref name="timeout"/> (default 10 s).</summary>
    public static async Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out waiting until {what}.");
            await Task.Delay(20);
        }
    }

    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out waiting until {what}.");
            await Task.Delay(20);
        }
    }
}
