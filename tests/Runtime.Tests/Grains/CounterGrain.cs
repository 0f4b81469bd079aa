namespace OrleansConnect.Runtime.Tests.Grains;

public interface ICounterGrain : IGrainWithStringKey
{
    Task<int> Increment();
    Task<int> Get();
    Task<string> GetActivationId();
    Task<string> GetSiloId();
    /// <summary>Waits until <paramref name="parties"/> grains are inside this method at once; false on timeout.</summary>
    Task<bool> Rendezvous(string group, int parties);
    Task DeactivateSoon(int holdMs);
}

public sealed class CounterGrain : Grain, ICounterGrain
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, (TaskCompletionSource All, int Count)> Groups = new();
    private readonly string _activationId = Guid.NewGuid().ToString("N");
    private int _count;

    private Probe Probe => Probe.For(GetPrimaryKeyString());

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Probe.Activations);
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        Probe.Deactivations.Enqueue(reason);
        return Task.CompletedTask;
    }

    public async Task<int> Increment()
    {
        Probe.Enter();
        try
        {
            var before = _count;
            // Yield mid-update: a second turn running now would read the same value and lose an increment.
            await Task.Delay(1);
            _count = before + 1;
            return _count;
        }
        finally
        {
            Probe.Exit();
        }
    }

    public Task<int> Get() => Task.FromResult(_count);

    public Task<string> GetActivationId() => Task.FromResult(_activationId);

    public Task<string> GetSiloId() => Task.FromResult(SiloId);

    public async Task<bool> Rendezvous(string group, int parties)
    {
        var entry = Groups.AddOrUpdate(group,
            _ => (new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), 1),
            (_, e) => (e.All, e.Count + 1));
        if (entry.Count >= parties) entry.All.TrySetResult();
        try
        {
            await entry.All.Task.WaitAsync(TimeSpan.FromSeconds(5));
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    public async Task DeactivateSoon(int holdMs)
    {
        DeactivateOnIdle();
        await Task.Delay(holdMs);
    }
}
