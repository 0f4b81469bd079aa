using OrleansConnect.Grains.Connectors;

namespace OrleansConnect.Tests.Worker;

/// <summary>The automatic restart's backoff: a task that fails again right after each restart (a poison record) waits
/// twice as long each time up to the cap, and stays there; only a run longer than the cap starts the count over.</summary>
public sealed class RestartBackoffTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 8, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_task_failing_at_once_after_every_restart_backs_off_to_the_cap_and_stays_there()
    {
        var backoff = new RestartBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
        var now = T0;
        var delays = new List<double>();
        for (var i = 0; i < 9; i++)
        {
            var delay = backoff.OnFailure("poison", now);
            delays.Add(delay.TotalSeconds);
            now += delay;
            backoff.OnRestart(now);
            // The restarted task fails again at once (after committing what was acknowledged: well under the cap).
            now += TimeSpan.FromSeconds(5);
        }
        Assert.Equal([1, 2, 4, 8, 16, 32, 60, 60, 60], delays);
        Assert.Equal(9, backoff.Attempts);
    }

    [Fact]
    public void A_run_longer_than_the_cap_starts_the_count_over()
    {
        var backoff = new RestartBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
        var now = T0;
        for (var i = 0; i < 4; i++)
        {
            now += backoff.OnFailure("flaky", now);
            backoff.OnRestart(now);
        }
        Assert.Equal(TimeSpan.FromSeconds(1), backoff.OnFailure("after a long run", now + TimeSpan.FromMinutes(5)));
        Assert.Equal(1, backoff.Attempts);
    }
}
