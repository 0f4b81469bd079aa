using Orleans;
using Orleans.Runtime;
using Orleans.Storage;

namespace OrleansConnect.Silo.GrainStorage;

/// <summary>Puts the grain type in front of the state name before Orleans' ADO.NET storage sees it.
/// That provider keys a row by state name and grain key only (AdoGrainKey in Orleans' source drops the grain type),
/// so without this two grain classes with the same key and the same state name (say "state") would silently share
/// one row. With it the row's GrainTypeString reads "grain-type/state-name", e.g. "note/note".</summary>
internal sealed class GrainTypeScopedStorage(IGrainStorage inner) : IGrainStorage
{
    private static string Scope(string stateName, GrainId grainId) => $"{grainId.Type}/{stateName}";

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ReadStateAsync(Scope(stateName, grainId), grainId, grainState);

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken) =>
        inner.ReadStateAsync(Scope(stateName, grainId), grainId, grainState, cancellationToken);

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.WriteStateAsync(Scope(stateName, grainId), grainId, grainState);

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken) =>
        inner.WriteStateAsync(Scope(stateName, grainId), grainId, grainState, cancellationToken);

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ClearStateAsync(Scope(stateName, grainId), grainId, grainState);

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken) =>
        inner.ClearStateAsync(Scope(stateName, grainId), grainId, grainState, cancellationToken);
}
