using System.Text.Json.Serialization;

namespace OrleansConnect.Api.Models;

/// <summary>Connect's ActiveTopicsInfo as GET /connectors/{c}/topics writes it: only the topics, inside an object keyed
/// by the connector's name.</summary>
public sealed record ActiveTopicsInfo([property: JsonPropertyName("topics")] List<string> Topics);
