using System.Text.Json.Serialization;

namespace OrleansConnect.Api.Models;

/// <summary>Connect's LoggerLevel. last_modified (epoch milliseconds) is written as null, not omitted,
/// while the level was never changed through the API.</summary>
public sealed record LoggerLevel(
    [property: JsonPropertyName("level")] string Level,
    [property: JsonPropertyName("last_modified")] long? LastModified);
