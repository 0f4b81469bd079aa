namespace OrleansConnect.Runtime.Tests.Grains;

public interface ITimerGrain : IGrainWithStringKey
{
    Task StartTimer(TimeSpan period);
    Task StopTimer();
    Task StartOneShot(TimeSpan due);
    Task Busy(int ms);
    Task Deactivate();
}

public sealed class TimerGrain : Grain, ITimerGrain
{
    private IDisposable? _timer;

    private Probe Probe => Probe.For(GetPrimaryKeyString());

    public Task StartTimer(TimeSpan period)
    {
        _timer = RegisterTimer(async _ =>
        {
            Probe.Enter();
            try
            {
                Interlocked.Increment(ref Probe.TimerTicks);
                await Task.Delay(2);
            }
            finally
            {
                Probe.Exit();
            }
        }, period, period);
        return Task.CompletedTask;
    }

    public Task StopTimer()
    {
        _timer?.Dispose();
        return Task.CompletedTask;
    }

    public Task StartOneShot(TimeSpan due)
    {
        RegisterTimer(_ =>
        {
            Probe.Events.Enqueue("one-shot");
            return Task.CompletedTask;
        }, due, Timeout.InfiniteTimeSpan);
        return Task.CompletedTask;
    }

    public async Task Busy(int ms)
    {
        Probe.Enter();
        try
        {
            await Task.Delay(ms);
        }
        finally
        {
            Probe.Exit();
        }
    }

    public Task Deactivate()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }
}
