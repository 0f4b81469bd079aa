using System.Text.Json;
using Orleans;
using Orleans.Runtime;
using Orleans.Storage;

namespace OrleansConnect.Silo.GrainStorage;

/// <summary>Retries grain-state reads, writes and clears that failed transiently (<see cref="StorageRetry"/>), so a
/// restart of PostgreSQL or a moment without free connections does not fail activations and grain calls; what still
/// fails comes out as a <see cref="Grains.Interfaces.Errors.StorageFailedException"/> naming the storage, the operation
/// and the server's reason, which crosses grain calls (a provider exception has no codec in Orleans).
/// The state object is only changed by a successful attempt (Orleans' ADO.NET provider sets state and etag last), so an
/// attempt may simply be repeated.</summary>
internal sealed class ResilientGrainStorage(IGrainStorage inner, StorageRetry retry) : IGrainStorage
{
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ReadStateAsync(stateName, grainId, grainState, CancellationToken.None);

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken) =>
        retry.ExecuteAsync($"read the state of {Describe(grainId)}", (inner, stateName, grainId, grainState),
            static (s, _, ct) => s.inner.ReadStateAsync(s.stateName, s.grainId, s.grainState, ct), cancellationToken);

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        WriteStateAsync(stateName, grainId, grainState, CancellationToken.None);

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken) =>
        ChangeStateAsync(cleared: false, stateName, grainId, grainState, cancellationToken);

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ClearStateAsync(stateName, grainId, grainState, CancellationToken.None);

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken) =>
        ChangeStateAsync(cleared: true, stateName, grainId, grainState, cancellationToken);

    /// <summary>A write or a clear, retried; after a failed attempt an etag conflict may mean that attempt landed.</summary>
    private Task ChangeStateAsync<T>(bool cleared, string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken) =>
        retry.ExecuteAsync($"{(cleared ? "clear" : "write")} the state of {Describe(grainId)}", (inner, stateName, grainId, grainState, cleared),
            static async (s, attempts, ct) =>
            {
                try
                {
                    if (s.cleared) await s.inner.ClearStateAsync(s.stateName, s.grainId, s.grainState, ct);
                    else await s.inner.WriteStateAsync(s.stateName, s.grainId, s.grainState, ct);
                }
                catch (InconsistentStateException) when (attempts.Failures > 0)
                {
                    if (!await LandedAsync(s.inner, s.stateName, s.grainId, s.grainState, s.cleared, ct)) throw;
                }
            }, cancellationToken);

    /// <summary>"connector 'x'", "task 'x-0'": the grain type and key, as an operator knows them.</summary>
    public static string Describe(GrainId grainId) => $"{grainId.Type} '{grainId.Key}'";

    /// <summary>A write (or clear) whose connection broke may have committed before the answer was lost. Its retry then
    /// meets the version it advanced itself and fails as an etag conflict. In that case only (a conflict right after a
    /// transient failure) the stored row is read: when it holds exactly what this write wrote (or, for a clear, no
    /// state), the earlier attempt landed, and the grain takes the stored etag instead of failing. Anything else stays
    /// the conflict it is.</summary>
    private static async Task<bool> LandedAsync<T>(IGrainStorage inner, string stateName, GrainId grainId, IGrainState<T> grainState,
        bool cleared, CancellationToken cancellationToken)
    {
        var stored = new GrainState<T>();
        try
        {
            await inner.ReadStateAsync(stateName, grainId, stored, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return false;
        }
        if (cleared)
        {
            if (stored.RecordExists) return false;
        }
        else if (!stored.RecordExists || !SameJson(stored.State, grainState.State))
        {
            return false;
        }
        grainState.State = stored.State;
        grainState.ETag = stored.ETag;
        grainState.RecordExists = stored.RecordExists;
        return true;
    }

    private static readonly JsonSerializerOptions CompareOptions = new() { IncludeFields = true };

    private static bool SameJson<T>(T stored, T written)
    {
        try
        {
            return JsonSerializer.SerializeToUtf8Bytes(stored, CompareOptions).AsSpan()
                .SequenceEqual(JsonSerializer.SerializeToUtf8Bytes(written, CompareOptions));
        }
        catch (Exception e) when (e is NotSupportedException or JsonException or InvalidOperationException)
        {
            return false; // Cannot tell: keep the conflict.
        }
    }
}
