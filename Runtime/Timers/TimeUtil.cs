namespace OrleansConnect.Runtime.Timers;

internal static class TimeUtil
{
    // Task.Delay refuses more than about 49 days; longer waits are taken in slices.
    private static readonly TimeSpan MaxSlice = TimeSpan.FromDays(30);

    public static async Task DelayAsync(TimeSpan delay, TimeProvider time, CancellationToken cancellationToken)
    {
        if (delay == Timeout.InfiniteTimeSpan)
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, time, cancellationToken).ConfigureAwait(false);
            return;
        }
        var until = time.GetUtcNow() + delay;
        await DelayUntilAsync(until, time, cancellationToken).ConfigureAwait(false);
    }

    public static async Task DelayUntilAsync(DateTimeOffset until, TimeProvider time, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var remaining = until - time.GetUtcNow();
            if (remaining <= TimeSpan.Zero) return;
            await Task.Delay(remaining > MaxSlice ? MaxSlice : remaining, time, cancellationToken).ConfigureAwait(false);
        }
    }
}
