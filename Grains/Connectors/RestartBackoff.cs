namespace OrleansConnect.Grains.Connectors;

/// <summary>Automatic restarts of a FAILED task: the delay doubles from the initial one up to the cap; the
/// count starts over once the task has run longer than the cap without failing.</summary>
public sealed class RestartBackoff(TimeSpan initial, TimeSpan max)
{
    public int Attempts { get; private set; }
    public DateTimeOffset? NextAttemptAt { get; private set; }
    public DateTimeOffset? LastRestartAt { get; private set; }
    public string? LastError { get; private set; }

    /// <summary>Records a failure and returns the delay before the next restart.</summary>
    public TimeSpan OnFailure(string trace, DateTimeOffset now)
    {
        if (LastRestartAt is { } last && now - last > max) Attempts = 0;
        LastError = trace;
        var delay = TimeSpan.FromMilliseconds(Math.Min(max.TotalMilliseconds, initial.TotalMilliseconds * Math.Pow(2, Math.Min(Attempts, 30))));
        Attempts++;
        NextAttemptAt = now + delay;
        return delay;
    }

    public void OnRestart(DateTimeOffset now)
    {
        LastRestartAt = now;
        NextAttemptAt = null;
    }

    /// <summary>A line for the status trace: how often it was restarted and when the next attempt comes.</summary>
    public string Describe() => NextAttemptAt is { } next
        ? $"OrleansConnect restarts FAILED tasks automatically: attempt {Attempts} scheduled at {next:O}."
        : $"OrleansConnect restarts FAILED tasks automatically: {Attempts} attempt(s) so far.";

    /// <summary>The line for a failure whose restart is not armed yet (its report is on its way).</summary>
    public static string DescribePending(int attempt) =>
        $"OrleansConnect restarts FAILED tasks automatically: attempt {attempt} is being scheduled.";
}
