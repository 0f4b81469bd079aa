using System.Text.Json;
using OrleansConnect.Runtime.Activation;

namespace OrleansConnect.Runtime.Storage;

/// <summary>A grain's typed view of one stored state, serialized as JSON.</summary>
internal sealed class PersistentState<TState>(IGrainStorage storage, GrainStateKey key, JsonSerializerOptions serializerOptions)
    : IPersistentState<TState>, IActivationLoader where TState : new()
{
    private TState _state = new();

    public GrainStateKey Key { get; } = key;

    public TState State
    {
        get => _state;
        set => _state = value ?? throw new ArgumentNullException(nameof(value), $"The {Key} cannot be set to null; use ClearStateAsync.");
    }

    public string? Etag { get; private set; }

    public bool RecordExists { get; private set; }

    public async Task ReadStateAsync(CancellationToken cancellationToken = default)
    {
        var record = await storage.ReadAsync(Key, cancellationToken).ConfigureAwait(false);
        TState state;
        if (record?.Payload is null)
        {
            state = new TState();
        }
        else
        {
            try
            {
                state = JsonSerializer.Deserialize<TState>(record.Payload, serializerOptions) ?? new TState();
            }
            catch (JsonException ex)
            {
                // Leave the stored record untouched: a bad payload is for a person to look at, not to overwrite.
                throw new InvalidOperationException(
                    $"The stored {Key} cannot be read as {typeof(TState).Name}: {ex.Message}", ex);
            }
        }
        _state = state;
        Etag = record?.Etag;
        RecordExists = record?.Payload is not null;
    }

    public async Task WriteStateAsync(CancellationToken cancellationToken = default)
    {
        var payload = JsonSerializer.Serialize(_state, serializerOptions);
        Etag = await storage.WriteAsync(Key, payload, Etag, cancellationToken).ConfigureAwait(false);
        RecordExists = true;
    }

    public async Task ClearStateAsync(CancellationToken cancellationToken = default)
    {
        Etag = await storage.ClearAsync(Key, Etag, cancellationToken).ConfigureAwait(false);
        _state = new TState();
        RecordExists = false;
    }
}
