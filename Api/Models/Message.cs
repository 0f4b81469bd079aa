using System.Text.Json.Serialization;

namespace OrleansConnect.Api.Models;

/// <summary>Connect's Message: the body of a successful offsets alter or reset.</summary>
public sealed record Message([property: JsonPropertyName("message")] string Text);
