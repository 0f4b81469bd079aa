using Microsoft.Extensions.DependencyInjection;
using OrleansConnect.Runtime.Activation;
using OrleansConnect.Runtime.GrainDirectory;
using OrleansConnect.Runtime.GrainTypes;
using OrleansConnect.Runtime.Hosting;
using OrleansConnect.Runtime.Membership;
using OrleansConnect.Runtime.Placement;

namespace OrleansConnect.Runtime.Calls;

/// <summary>The call path: finds (or places and creates) the grain's activation, queues the call in its mailbox
/// and bounds the caller's wait by <see cref="GrainRuntimeOptions.CallTimeout"/>.</summary>
internal sealed class GrainCallDispatcher(
    Catalog catalog,
    IGrainDirectory directory,
    IPlacementDirector placement,
    IClusterMembership membership,
    SiloStatus status,
    GrainRuntimeOptions options,
    TimeProvider time,
    IServiceProvider services)
{
    public Task<object?> InvokeAsync(GrainId grainId, GrainTypeInfo type, GrainMethodInfo method, object?[] arguments)
    {
        if (status.Phase is SiloPhase.Created or SiloPhase.Starting or SiloPhase.Stopped)
            return Task.FromException<object?>(new InvalidOperationException(
                $"Cannot call {method.DisplayName} on grain {grainId}: silo {options.SiloId} is " +
                (status.Phase == SiloPhase.Stopped ? "stopped." : "not started (start the host or SiloHost first).")));
        var call = new GrainCall(grainId, type, method, arguments, this);
        Reroute(call);
        return WaitAsync(call);
    }

    /// <summary>(Re)delivers a call that has not run yet; failures complete the call.</summary>
    public void Reroute(GrainCall call)
    {
        // A call whose caller gave up must not activate anything.
        if (!call.IsAbandoned) _ = RouteAsync(call);
    }

    private async Task RouteAsync(GrainCall call)
    {
        try
        {
            while (!call.Completion.Task.IsCompleted)
            {
                var activation = catalog.TryGet(call.GrainId);
                if (activation is null)
                {
                    var silo = await LocateAsync(call.GrainId).ConfigureAwait(false);
                    if (silo != membership.LocalSiloId)
                    {
                        await ForwardAsync(silo, call).ConfigureAwait(false);
                        return;
                    }
                    activation = catalog.GetOrCreate(call.GrainId, call.Type);
                }
                if (activation.TryEnqueue(call)) return;
                // That activation is going away; the call goes to its successor.
                await activation.Deactivated.ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            call.Completion.TrySetException(ex);
        }
    }

    private async Task<string> LocateAsync(GrainId grainId)
    {
        var address = await directory.LookupAsync(grainId, CancellationToken.None).ConfigureAwait(false);
        if (address is not null && membership.ActiveSilos.Contains(address.SiloId)) return address.SiloId;
        return await placement.PlaceAsync(grainId, membership, CancellationToken.None).ConfigureAwait(false);
    }

    private async Task ForwardAsync(string silo, GrainCall call)
    {
        var remote = services.GetService<IRemoteGrainInvoker>() ?? throw new InvalidOperationException(
            $"Grain {call.GrainId} lives on silo {silo}, but this silo has no transport to other silos.");
        if (!call.TryStart()) return;
        var result = await remote.InvokeAsync(silo, call.GrainId, call.Method.Method, call.Arguments, CancellationToken.None).ConfigureAwait(false);
        call.Completion.TrySetResult(result);
    }

    private async Task<object?> WaitAsync(GrainCall call)
    {
        var completion = call.Completion.Task;
        try
        {
            return await completion.WaitAsync(options.CallTimeout, time).ConfigureAwait(false);
        }
        catch (TimeoutException) when (!completion.IsCompleted)
        {
            var neverStarted = call.TryAbandon();
            throw new TimeoutException(
                $"Call {call.Method.DisplayName} to grain {call.GrainId} timed out after {options.CallTimeout}: " +
                (neverStarted
                    ? "it was still queued behind a turn that did not end (a slow turn, or a call cycle between grains: turns are not reentrant)."
                    : "it was running and did not finish (a slow call, or a call cycle between grains: turns are not reentrant)."));
        }
    }
}
