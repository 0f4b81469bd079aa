using System.Text.Json.Serialization;
using OrleansConnect.Api.Models;

namespace OrleansConnect.Api.Json;

/// <summary>Source-generated readers for request bodies. Separate from <see cref="ConnectJsonContext"/> because
/// reading follows Jackson's leniency for strings (<see cref="ScalarAsStringConverter"/>) and strictness for unknown
/// object members, neither of which should touch what the API writes.</summary>
[JsonSourceGenerationOptions(
    Converters = [typeof(ScalarAsStringConverter)],
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(CreateConnectorRequest))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(OrleansConnect.Grains.Interfaces.Models.TransformPreviewRequest))]
internal sealed partial class ConnectRequestJsonContext : JsonSerializerContext;
