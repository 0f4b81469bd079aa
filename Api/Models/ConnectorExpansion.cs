using System.Text.Json.Serialization;
using OrleansConnect.Grains.Interfaces.Models;

namespace OrleansConnect.Api.Models;

/// <summary>One entry of GET /connectors?expand=...: only the requested expansions are present.</summary>
public sealed class ConnectorExpansion
{
    [JsonPropertyName("status"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ConnectorStateInfo? Status { get; set; }

    [JsonPropertyName("info"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ConnectorInfo? Info { get; set; }
}
