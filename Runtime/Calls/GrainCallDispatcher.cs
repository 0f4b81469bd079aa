using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using OrleansConnect.Runtime.Activation;
using OrleansConnect.Runtime.GrainDirectory;
using OrleansConnect.Runtime.GrainTypes;
using OrleansConnect.Runtime.Hosting;
using OrleansConnect.Runtime.Membership;
using OrleansConnect.Runtime.Placement;
using OrleansConnect.Runtime.Transport;

namespace OrleansConnect.Runtime.Calls;

/// <summary>The call path: finds the grain's activation (here, or through the directory on another silo, where the
/// call is forwarded), or places and creates one; queues the call in its mailbox and bounds the caller's wait by
/// <see cref="GrainRuntimeOptions.CallTimeout"/>.</summary>
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
    /// <summary>A call is forwarded between silos at most this many times (stale directory views cannot loop it).</summary>
    public const int MaxHops = 3;

    /// <summary>A call follows a lost activation race to the winner at most this many times.</summary>
    public const int MaxRedirects = 5;

    /// <summary>The "just activate the grain" call: runs no grain code beyond activation.</summary>
    public static readonly GrainMethodInfo ActivateMethod =
        new(typeof(GrainCallDispatcher).GetMethod(nameof(ActivationPing), BindingFlags.NonPublic | BindingFlags.Static)!);

    // Grains this silo is moving to another silo: calls wait for the move instead of re-activating them here.
    private readonly ConcurrentDictionary<GrainId, Task> _departures = new();

    private static Task ActivationPing() => Task.CompletedTask;

    /// <summary>Until <paramref name="moved"/> completes, calls for the grain that find no activation here wait for it
    /// and then follow a fresh directory lookup (to the grain's new silo).</summary>
    public void BeginDeparture(GrainId grainId, Task moved) => _departures[grainId] = moved;

    public void EndDeparture(GrainId grainId, Task moved) =>
        _departures.TryRemove(new KeyValuePair<GrainId, Task>(grainId, moved));

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

    /// <summary>Makes sure the grain is active somewhere (placement decides where, if it is not).</summary>
    public Task ActivateAsync(GrainId grainId, GrainTypeInfo type) => InvokeAsync(grainId, type, ActivateMethod, []);

    /// <summary>A call another silo forwarded here.</summary>
    public Task<object?> InvokeForwardedAsync(GrainId grainId, GrainTypeInfo type, GrainMethodInfo method, object?[] arguments, int hops)
    {
        var call = new GrainCall(grainId, type, method, arguments, this) { Hops = hops, Forwarded = true };
        Reroute(call);
        return WaitAsync(call);
    }

    public Task ActivateForwardedAsync(GrainId grainId, GrainTypeInfo type, int hops) =>
        InvokeForwardedAsync(grainId, type, ActivateMethod, [], hops);

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
                    var fresh = false;
                    if (_departures.TryGetValue(call.GrainId, out var departure))
                    {
                        await departure.ConfigureAwait(false);
                        fresh = true;
                    }
                    var silo = await LocateAsync(call, fresh).ConfigureAwait(false);
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

    private async Task<string> LocateAsync(GrainCall call, bool fresh)
    {
        var address = fresh && directory is AdoNetGrainDirectory cluster
            ? await cluster.LookupFreshAsync(call.GrainId, CancellationToken.None).ConfigureAwait(false)
            : await directory.LookupAsync(call.GrainId, CancellationToken.None).ConfigureAwait(false);
        if (address is not null)
        {
            if (address.SiloId == membership.LocalSiloId) return address.SiloId;
            // The cluster directory only returns entries of live silos (the database says so); the membership view
            // of this silo may lag behind it by a probe period.
            if (directory is AdoNetGrainDirectory || membership.IsLive(address.SiloId))
            {
                if (call.Hops >= MaxHops)
                    throw new SiloUnavailableException(
                        $"Call {call.Method.DisplayName} to grain {call.GrainId} was forwarded {call.Hops} times without reaching its activation " +
                        $"(last seen on silo {address.SiloId}); the cluster's view is changing, retry.");
                return address.SiloId;
            }
        }
        // The calling silo placed the grain here: activate it here rather than placing it again.
        if (call.Forwarded && status.Phase == SiloPhase.Running) return membership.LocalSiloId;
        return await placement.PlaceAsync(call.GrainId, membership, CancellationToken.None).ConfigureAwait(false);
    }

    private async Task ForwardAsync(string silo, GrainCall call)
    {
        var remote = services.GetService<IRemoteGrainInvoker>() ?? throw new InvalidOperationException(
            $"Grain {call.GrainId} lives on silo {silo}, but this silo has no transport to other silos.");
        if (!call.TryStart()) return;
        object? result;
        try
        {
            if (remote is SiloTransportClient client)
            {
                if (ReferenceEquals(call.Method, ActivateMethod))
                {
                    await client.ActivateAsync(silo, call.GrainId, call.Hops + 1, CancellationToken.None).ConfigureAwait(false);
                    result = null;
                }
                else
                {
                    result = await client.CallAsync(silo, call.GrainId, call.Method.Method, call.Arguments, call.Hops + 1, CancellationToken.None)
                        .ConfigureAwait(false);
                }
            }
            else
            {
                result = await remote.InvokeAsync(silo, call.GrainId, call.Method.Method, call.Arguments, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (SiloUnavailableException)
        {
            // The next call looks the grain up again instead of trusting a cached address.
            if (directory is AdoNetGrainDirectory cluster && await directory.LookupAsync(call.GrainId, CancellationToken.None).ConfigureAwait(false) is { } stale)
                cluster.Invalidate(stale);
            throw;
        }
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
