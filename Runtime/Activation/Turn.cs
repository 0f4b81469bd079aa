using System.Reflection;
using OrleansConnect.Runtime.Calls;
using OrleansConnect.Runtime.GrainTypes;

namespace OrleansConnect.Runtime.Activation;

/// <summary>A unit of work in an activation's mailbox; turns of one activation run one at a time, in order.</summary>
internal abstract class Turn
{
    private const int Pending = 0, Started = 1, Abandoned = 2;
    private int _state;

    public TaskCompletionSource<object?> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>False if the caller gave up (timed out) before the turn began: then it is skipped.</summary>
    public bool TryStart() => Interlocked.CompareExchange(ref _state, Started, Pending) == Pending;

    public bool IsAbandoned => Volatile.Read(ref _state) == Abandoned;

    /// <summary>True if the turn had not started and now never will.</summary>
    public bool TryAbandon() => Interlocked.CompareExchange(ref _state, Abandoned, Pending) == Pending;

    public abstract Task<object?> ExecuteAsync(ActivationData activation);

    /// <summary>The activation ended before running this turn (null: it deactivated; else: its activation failed).</summary>
    public abstract void OnActivationGone(Exception? activationFailure);
}

/// <summary>A call of a grain interface method.</summary>
internal sealed class GrainCall(GrainId grainId, GrainTypeInfo type, GrainMethodInfo method, object?[] arguments, GrainCallDispatcher dispatcher) : Turn
{
    public GrainId GrainId { get; } = grainId;
    public GrainTypeInfo Type { get; } = type;
    public GrainMethodInfo Method { get; } = method;
    public object?[] Arguments { get; } = arguments;

    /// <summary>Silos that forwarded this call before it reached this one.</summary>
    public int Hops { get; init; }

    /// <summary>Arrived from another silo, which chose this one: activate here rather than placing again.</summary>
    public bool Forwarded { get; init; }

    /// <summary>Times the call followed a lost registration race to the winner (bounded).</summary>
    public int Redirects { get; set; }

    public override async Task<object?> ExecuteAsync(ActivationData activation)
    {
        var grain = activation.Grain ?? throw new InvalidOperationException($"Grain {GrainId} has no instance.");
        // DoNotWrapExceptions: a grain method that throws before returning its task surfaces its own exception.
        var returned = Method.Method.Invoke(grain, BindingFlags.DoNotWrapExceptions, null, Arguments, null);
        if (returned is not Task task)
            throw new InvalidOperationException($"Grain method {Method.DisplayName} of {GrainId} returned null instead of a Task.");
        await task.ConfigureAwait(false);
        return Method.ResultProperty?.GetValue(task);
    }

    public override void OnActivationGone(Exception? activationFailure)
    {
        if (activationFailure is Activation.DuplicateActivationException && ++Redirects <= GrainCallDispatcher.MaxRedirects)
            dispatcher.Reroute(this);
        else if (activationFailure is not null) Completion.TrySetException(activationFailure);
        else dispatcher.Reroute(this);
    }

    public override string ToString() => $"{Method.DisplayName} on {GrainId}";
}

/// <summary>A grain timer's tick.</summary>
internal sealed class TimerTick(Func<CancellationToken, Task> callback, CancellationToken cancellationToken) : Turn
{
    public override async Task<object?> ExecuteAsync(ActivationData activation)
    {
        if (cancellationToken.IsCancellationRequested) return null;
        await callback(cancellationToken).ConfigureAwait(false);
        return null;
    }

    public override void OnActivationGone(Exception? activationFailure) => Completion.TrySetCanceled();
}
