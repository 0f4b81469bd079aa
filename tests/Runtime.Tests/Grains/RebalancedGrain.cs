namespace OrleansConnect.Runtime.Tests.Grains;

public interface IRebalancedGrain : IGrainWithStringKey
{
    Task<string> Touch(int value);
    Task<string> WhereAmI();
    Task<int> Value();
}

/// <summary>Opted into rebalancing; records where it was activated and why it was deactivated.</summary>
[Rebalanceable]
public sealed class RebalancedGrain([PersistentState("rebalanced")] IPersistentState<DurableState> state) : Grain, IRebalancedGrain
{
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        Probe.For(GetPrimaryKeyString()).Events.Enqueue($"activated:{SiloId}");
        Interlocked.Increment(ref Probe.For(GetPrimaryKeyString()).Activations);
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // A clean stop persists what the grain holds: the next activation resumes from it.
        await state.WriteStateAsync(cancellationToken);
        if (Probe.For(GetPrimaryKeyString()).DeactivationDelay is { } delay && delay > TimeSpan.Zero) await Task.Delay(delay, cancellationToken);
        Probe.For(GetPrimaryKeyString()).Deactivations.Enqueue(reason);
    }

    public async Task<string> Touch(int value)
    {
        state.State.Value = value;
        await state.WriteStateAsync();
        return SiloId;
    }

    public Task<string> WhereAmI() => Task.FromResult(SiloId);

    public Task<int> Value() => Task.FromResult(state.State.Value);
}
