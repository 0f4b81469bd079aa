using Orleans.Runtime;

namespace OrleansConnect.Grains.Interfaces;

/// <summary>A grain call that failed because the silo holding the activation cannot be reached: it just died (kill -9)
/// and membership has not declared it dead yet, which takes about the death timeout. Once it has, the same call
/// activates the grain elsewhere, so such a call is worth repeating for a few seconds rather than failing a request.</summary>
public static class SiloUnreachable
{
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(250);

    /// <summary>True for Orleans' "cannot reach that silo" failures, wherever they sit in the chain.</summary>
    public static bool Is(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is SiloUnavailableException or OrleansMessageRejectionException
                || e.GetType().Name is "ConnectionFailedException" or "SocketConnectionException")
                return true;
        }
        return false;
    }

    /// <summary>Runs <paramref name="call"/>, again every quarter second while its silo is unreachable, for at most
    /// <paramref name="budget"/>; then the last failure is thrown.</summary>
    public static async Task<T> RetryAsync<T>(Func<Task<T>> call, TimeSpan budget, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + budget;
        while (true)
        {
            try
            {
                return await call();
            }
            catch (Exception e) when (Is(e) && DateTime.UtcNow + Pause < deadline)
            {
                await Task.Delay(Pause, cancellationToken);
            }
        }
    }
}
