using OrleansConnect.Grains.Worker;
using OrleansConnect.Silo.EmbeddedBroker;

namespace OrleansConnect.Silo.Hosting;

/// <summary>Runs the built host to its end and returns the exit code: 2 with one line when it cannot start, 0 after a
/// stop that fits the container's grace period (<see cref="SiloStopBudget"/>).</summary>
public static class SiloRunner
{
    public static async Task<int> RunAsync(WebApplication app)
    {
        var budget = app.Services.GetRequiredService<SiloStopBudget>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("OrleansConnect.Silo");
        var stopRequested = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        app.Lifetime.ApplicationStopping.Register(() =>
        {
            budget.Start();
            stopRequested.TrySetResult();
            app.Services.GetRequiredService<ConnectWorker>().BeginShutdown();
        });
        try
        {
            await app.StartAsync();
        }
        catch (Exception e)
        {
            // A part that cannot start (data.dir, Kafka, storage, membership, a listener): one line that says what, and exit
            // 2, never a crash. No task ran, so the embedded broker's log still holds its state.
            Console.Error.WriteLine(StartupException.Find(e) is { } startup ? startup.Message : $"The silo could not start: {StartupFailure.Describe(e)}");
            await app.Services.GetRequiredService<EmbeddedBrokerHost>().ReleaseAsync();
            return 2;
        }

        var shutdown = app.WaitForShutdownAsync();
        await Task.WhenAny(shutdown, stopRequested.Task);
        // Orleans keeps retrying to write this silo's status while the membership store is down, past its shutdown timeout
        // (minutes). Nothing left to flush waits on it (a task that cannot confirm its membership commits nothing anyway),
        // so the process leaves once the budget is spent, as a kill would, within Docker's 10 s.
        if (await Task.WhenAny(shutdown, Task.Delay(budget.Left(reserve: TimeSpan.FromSeconds(2)))) == shutdown)
        {
            await shutdown;
            logger.LogInformation("Grain runtime stopped in {Elapsed} ms", (long)budget.Elapsed.TotalMilliseconds);
            return 0;
        }
        logger.LogWarning("The grain runtime did not stop within {Elapsed} ms (is the membership store reachable?); exiting without it",
            (long)budget.Elapsed.TotalMilliseconds);
        // The host's stop is stuck in the grain runtime, so what it would stop after it is stopped here.
        await app.Services.GetRequiredService<OffsetStoreLoader>().StopAsync(CancellationToken.None);
        await app.Services.GetRequiredService<EmbeddedBrokerHost>().StopAsync(CancellationToken.None);
        // Orleans' stop is still under way: leave without waiting for its threads.
        Environment.Exit(0);
        return 0;
    }
}
