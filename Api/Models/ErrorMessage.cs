using System.Text.Json.Serialization;

namespace OrleansConnect.Api.Models;

/// <summary>Connect's ErrorMessage: the body of every error response; error_code equals the HTTP status.</summary>
public sealed record ErrorMessage(
    [property: JsonPropertyName("error_code")] int ErrorCode,
    [property: JsonPropertyName("message")] string? Message);
