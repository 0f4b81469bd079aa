namespace OrleansConnect.Runtime.Tests.Grains;

public sealed record Order(string Id, List<int> Lines, Dictionary<string, string> Tags, DayOfWeek Day);

/// <summary>An exception shaped like the Connect REST ones: rebuilt from its (status, message) constructor.</summary>
public class StatusException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}

/// <summary>Not rebuildable: no public constructor the codec can use.</summary>
public sealed class OpaqueException : Exception
{
    internal OpaqueException(string message) : base(message) { }
}

public interface IClusterGrain : IGrainWithStringKey
{
    Task<string> WhereAmI();
    Task<Order> Roundtrip(Order order);
    Task<int> Increment();
    Task<int> Get();
    Task<long> Epoch();
    Task<bool> IsCurrent();
    Task Throw(string kind, string message);
    /// <summary>Calls another grain of this interface (which may live on another silo).</summary>
    Task<string> WhereIs(string otherKey);
}

public sealed class ClusterGrain : Grain, IClusterGrain
{
    private int _count;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        Probe.For(GetPrimaryKeyString()).Events.Enqueue($"activated:{SiloId}");
        Interlocked.Increment(ref Probe.For(GetPrimaryKeyString()).Activations);
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        Probe.For(GetPrimaryKeyString()).Deactivations.Enqueue(reason);
        return Task.CompletedTask;
    }

    public Task<string> WhereAmI() => Task.FromResult(SiloId);

    public Task<Order> Roundtrip(Order order) => Task.FromResult(order with { Id = order.Id + "@" + SiloId });

    public async Task<int> Increment()
    {
        var probe = Probe.For(GetPrimaryKeyString());
        probe.Enter();
        try
        {
            var before = _count;
            await Task.Delay(1);
            _count = before + 1;
            return _count;
        }
        finally
        {
            probe.Exit();
        }
    }

    public Task<int> Get() => Task.FromResult(_count);

    public Task<long> Epoch() => Task.FromResult(ActivationEpoch);

    public Task<bool> IsCurrent() => GrainContext.IsCurrentActivationAsync();

    public Task Throw(string kind, string message) => kind switch
    {
        "status" => throw new StatusException(409, message),
        "argument" => throw new ArgumentException(message),
        "inconsistent" => throw new InconsistentStateException(message),
        _ => throw new OpaqueException(message),
    };

    public Task<string> WhereIs(string otherKey) => GrainFactory.GetGrain<IClusterGrain>(otherKey).WhereAmI();
}

public sealed class DurableState
{
    public int Value { get; set; }
}

public interface IDurableGrain : IGrainWithStringKey
{
    Task<string> Touch(int value);
    Task<string> WhereAmI();
    Task<int> Value();
    Task<long> Epoch();
    Task<bool> IsCurrent();
}

/// <summary>Has persistent state: with EagerReactivation it comes back on a survivor without being called.</summary>
public sealed class DurableGrain([PersistentState("durable")] IPersistentState<DurableState> state) : Grain, IDurableGrain
{
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        Probe.For(GetPrimaryKeyString()).Events.Enqueue($"activated:{SiloId}:{ActivationEpoch}");
        Interlocked.Increment(ref Probe.For(GetPrimaryKeyString()).Activations);
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        Probe.For(GetPrimaryKeyString()).Deactivations.Enqueue(reason);
        return Task.CompletedTask;
    }

    public async Task<string> Touch(int value)
    {
        state.State.Value = value;
        await state.WriteStateAsync();
        return SiloId;
    }

    public Task<string> WhereAmI() => Task.FromResult(SiloId);

    public Task<int> Value() => Task.FromResult(state.State.Value);

    public Task<long> Epoch() => Task.FromResult(ActivationEpoch);

    public Task<bool> IsCurrent() => GrainContext.IsCurrentActivationAsync();
}
