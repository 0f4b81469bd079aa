using System.Text.RegularExpressions;
using Orleans.Runtime;

namespace OrleansConnect.Grains.Interfaces;

/// <summary>A grain call that failed because the silo holding the activation (or the grain directory's entry for it)
/// cannot be reached: it just died (kill -9) and membership has not declared it dead yet, which takes about the death
/// timeout, or longer when the membership store is down too. Once it has, the same call activates the grain
/// elsewhere, so such a call is worth repeating for a few seconds rather than failing a request.</summary>
public static partial class SiloUnreachable
{
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(250);

    /// <summary>True for Orleans' "cannot reach that silo" failures, wherever they sit in the chain.</summary>
    public static bool Is(Exception? e)
    {
        for (var depth = 0; e is not null && depth < 16; e = e.InnerException, depth++)
        {
            if (e is SiloUnavailableException
                || e.GetType().Name is "ConnectionFailedException" or "SocketConnectionException" or "ConnectionAbortedException"
                // Orleans' rejection of a message it could not send carries the connection failure in its text only.
                || (e is OrleansMessageRejectionException && !IsForwardingFailure(e)))
                return true;
        }
        return false;
    }

    /// <summary>True for Orleans' "Forwarding failed" rejection: the message reached an activation that was deactivating
    /// and found no new one in time. It was never processed, so sending it again is safe.</summary>
    public static bool IsForwardingFailure(Exception? e)
    {
        for (var depth = 0; e is not null && depth < 16; e = e.InnerException, depth++)
        {
            if (e is OrleansMessageRejectionException && e.Message.Contains("Forwarding failed", StringComparison.Ordinal)) return true;
        }
        return false;
    }

    /// <summary>The silo a failure of <see cref="Is"/> could not reach, read from Orleans' messages (its exceptions carry
    /// the address in their text only): "S127.0.0.1:11111:123456789", or an endpoint without its generation.</summary>
    public static SiloAddress? SiloOf(Exception? e)
    {
        SiloAddress? endpointOnly = null;
        for (var depth = 0; e is not null && depth < 16; e = e.InnerException, depth++)
        {
            if (SiloPattern().Match(e.Message) is { Success: true } silo)
                return SiloAddress.FromParsableString($"{silo.Groups[1].Value}:{silo.Groups[2].Value}@{silo.Groups[3].Value}");
            if (endpointOnly is null && EndpointPattern().Match(e.Message) is { Success: true } endpoint)
                endpointOnly = SiloAddress.FromParsableString($"{endpoint.Groups[1].Value}:{endpoint.Groups[2].Value}@0");
        }
        return endpointOnly;
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

    [GeneratedRegex(@"\bS(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5}):(-?\d+)")]
    private static partial Regex SiloPattern();

    [GeneratedRegex(@"connect to (?:endpoint )?(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})\b")]
    private static partial Regex EndpointPattern();
}

/// <summary>Names a silo for messages: the worker id clients see in statuses (its REST host and port), from the
/// membership view of the silo that asks.</summary>
public interface ISiloNames
{
    /// <summary>"127.0.0.1:8083" for a known silo; the Orleans address otherwise.</summary>
    string Describe(SiloAddress silo);
}
