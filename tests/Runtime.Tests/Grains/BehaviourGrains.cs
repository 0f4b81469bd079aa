namespace OrleansConnect.Runtime.Tests.Grains;

public sealed class GrainFailureException(string message) : Exception(message);

public interface IThrowingGrain : IGrainWithStringKey
{
    Task ThrowAfterAwait(string message);
    Task<int> ThrowBeforeReturningTask(string message);
    Task<string> Echo(string text);
}

public sealed class ThrowingGrain : Grain, IThrowingGrain
{
    public static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Exception> Thrown = new();

    public async Task ThrowAfterAwait(string message)
    {
        await Task.Yield();
        var ex = new GrainFailureException(message);
        Thrown[message] = ex;
        throw ex;
    }

    // Not async: throws while the runtime invokes the method, before any task exists.
    public Task<int> ThrowBeforeReturningTask(string message)
    {
        var ex = new ArgumentException(message);
        Thrown[message] = ex;
        throw ex;
    }

    public Task<string> Echo(string text) => Task.FromResult(text);
}

public interface IFlakyActivationGrain : IGrainWithStringKey
{
    Task<int> Ping();
}

/// <summary>Fails to activate while its probe's event queue holds "fail" markers (one per failure).</summary>
public sealed class FlakyActivationGrain : Grain, IFlakyActivationGrain
{
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var probe = Probe.For(GetPrimaryKeyString());
        Interlocked.Increment(ref probe.Activations);
        if (probe.Events.TryDequeue(out var marker) && marker == "fail")
            throw new GrainFailureException($"activation of {GetPrimaryKeyString()} failed on purpose");
        return Task.CompletedTask;
    }

    public Task<int> Ping() => Task.FromResult(Probe.For(GetPrimaryKeyString()).Activations);
}

public interface ICycleGrain : IGrainWithStringKey
{
    Task<string> CallPeer(string peerKey);
    Task<string> CallBack(string callerKey);
    Task<string> Ping();
}

/// <summary>A calls B, B calls A back while A's turn still waits: a cycle non-reentrant grains cannot serve.</summary>
public sealed class CycleGrain : Grain, ICycleGrain
{
    public Task<string> CallPeer(string peerKey) => GrainFactory.GetGrain<ICycleGrain>(peerKey).CallBack(GetPrimaryKeyString());

    public Task<string> CallBack(string callerKey) => GrainFactory.GetGrain<ICycleGrain>(callerKey).Ping();

    public Task<string> Ping() => Task.FromResult("pong");
}

public interface ILifecycleGrain : IGrainWithStringKey
{
    Task Ping();
    Task KeepAlive();
    Task HangOnDeactivate();
}

public sealed class LifecycleGrain : Grain, ILifecycleGrain
{
    private bool _hang;

    private Probe Probe => Probe.For(GetPrimaryKeyString());

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Probe.Activations);
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_hang)
        {
            Probe.Events.Enqueue("hanging");
            // Ignores its token on purpose: the runtime must not wait for it forever.
            await Task.Delay(Timeout.InfiniteTimeSpan, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        }
        Probe.Deactivations.Enqueue(reason);
    }

    public Task Ping() => Task.CompletedTask;

    public Task KeepAlive()
    {
        DelayDeactivation(TimeSpan.MaxValue);
        return Task.CompletedTask;
    }

    public Task HangOnDeactivate()
    {
        _hang = true;
        return Task.CompletedTask;
    }
}

/// <summary>Not a valid grain interface: a method that does not return a task.</summary>
public interface IBadGrain : IGrainWithStringKey
{
    int NotATask();
}

public interface IUnimplementedGrain : IGrainWithStringKey
{
    Task Nothing();
}
