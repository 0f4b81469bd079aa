namespace OrleansConnect.Failover;

/// <summary>Waits for a condition with a deadline; the interval bounds how late an end is noticed.</summary>
public static class Poll
{
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, TimeSpan interval, Func<string> describe,
        CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0} s waiting for {describe()}.");
            await Task.Delay(interval, cancellationToken);
        }
    }
}
