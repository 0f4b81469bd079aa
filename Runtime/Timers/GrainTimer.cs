using Microsoft.Extensions.Logging;
using OrleansConnect.Runtime.Activation;

namespace OrleansConnect.Runtime.Timers;

/// <summary>A grain timer: each tick is queued as a turn of its activation, and the next period starts when
/// that turn ends (ticks never pile up). Disposed explicitly or with the activation.</summary>
internal sealed partial class GrainTimer(
    ActivationData owner, Func<CancellationToken, Task> callback, TimeSpan dueTime, TimeSpan period, TimeProvider time, ILogger logger)
    : IDisposable
{
    private readonly CancellationTokenSource _cancellation = new();
    private volatile bool _finished;

    /// <summary>True until disposed or, for a one-shot timer, fired.</summary>
    public bool IsActive => !_finished && !_cancellation.IsCancellationRequested;

    public void Start()
    {
        using (ExecutionContext.SuppressFlow())
            _ = Task.Run(RunAsync);
    }

    private async Task RunAsync()
    {
        var token = _cancellation.Token;
        try
        {
            await TimeUtil.DelayAsync(dueTime, time, token).ConfigureAwait(false);
            while (!token.IsCancellationRequested)
            {
                var tick = new TimerTick(callback, token);
                if (!owner.TryEnqueue(tick)) break;
                try
                {
                    await tick.Completion.Task.ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested || tick.Completion.Task.IsCanceled)
                {
                    break;
                }
                catch (Exception ex)
                {
                    LogTickFailed(logger, ex, owner.GrainId.Type, owner.GrainId.Key);
                }
                if (period == Timeout.InfiniteTimeSpan) break;
                await TimeUtil.DelayAsync(period, time, token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        finally
        {
            _finished = true;
            owner.RemoveTimer(this);
        }
    }

    public void Dispose()
    {
        // The token stays usable (not disposed): a running tick may still be looking at it.
        _cancellation.Cancel();
        owner.RemoveTimer(this);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Timer callback of grain {GrainType}/{GrainKey} failed")]
    private static partial void LogTickFailed(ILogger logger, Exception exception, string grainType, string grainKey);
}
