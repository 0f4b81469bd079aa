using System.Text.Json.Serialization;

namespace OrleansConnect.Api.Models;

/// <summary>Connect's CreateConnectorRequest, the body of POST /connectors. Every member is optional on the wire so
/// that a missing one gets Connect's own answer (name "" fails validation, no config is a 400) instead of a
/// serializer error; unknown members are rejected.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class CreateConnectorRequest
{
    [JsonPropertyName("name")]
    public string? Name { get; init; }

    /// <summary>Values may be null on the wire; POST rejects them the way Connect's validation does.</summary>
    [JsonPropertyName("config")]
    public Dictionary<string, string?>? Config { get; init; }

    /// <summary>RUNNING (default), PAUSED or STOPPED, case-insensitive.</summary>
    [JsonPropertyName("initial_state")]
    public string? InitialState { get; init; }
}
