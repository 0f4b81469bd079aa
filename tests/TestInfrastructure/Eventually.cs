namespace OrleansConnect.Tests.Infrastructure;

/// <summary>Polls a condition until it holds or a deadline passes (the pause between polls is not a wait
/// standing in for the condition: the condition itself decides).</summary>
public static class Eventually
{
    public static async Task<T> Until<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout, Func<T?, string> describe)
    {
        var deadline = DateTime.UtcNow + timeout;
        T? last = default;
        Exception? lastError = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                last = await probe();
                if (done(last)) return last;
                lastError = null;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
            {
                lastError = e;
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"Condition not met within {timeout}: {describe(last)}" + (lastError is null ? "" : $" (last error: {lastError.Message})"));
    }

    public static Task Until(Func<Task<bool>> condition, TimeSpan timeout, string description) =>
        Until(condition, ok => ok, timeout, _ => description);
}
