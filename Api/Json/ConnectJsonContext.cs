using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using OrleansConnect.Api.Models;
using OrleansConnect.Grains.Interfaces.Models;

namespace OrleansConnect.Api.Json;

/// <summary>Source-generated metadata for every body the API writes (and, for the OpenAPI document, reads).
/// Field names come from the [JsonPropertyName] attributes on the models; nulls are written unless a model
/// says otherwise, as Connect's Jackson does.</summary>
[JsonSourceGenerationOptions(GenerationMode = JsonSourceGenerationMode.Default)]
[JsonSerializable(typeof(ErrorMessage))]
[JsonSerializable(typeof(ServerInfo))]
[JsonSerializable(typeof(WorkerStatus))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(SortedDictionary<string, ConnectorExpansion>))]
[JsonSerializable(typeof(CreateConnectorRequest))]
[JsonSerializable(typeof(ConnectorInfo))]
[JsonSerializable(typeof(ConnectorStateInfo))]
[JsonSerializable(typeof(TaskState))]
[JsonSerializable(typeof(ConnectorMetricsInfo))]
[JsonSerializable(typeof(List<TaskInfo>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(Dictionary<string, Dictionary<string, string>>))]
[JsonSerializable(typeof(List<PluginInfo>))]
[JsonSerializable(typeof(List<ConfigKeyInfo>))]
[JsonSerializable(typeof(ConfigInfos))]
[JsonSerializable(typeof(LoggerLevel))]
[JsonSerializable(typeof(SortedDictionary<string, LoggerLevel>))]
[JsonSerializable(typeof(TransformPreviewRequest))]
[JsonSerializable(typeof(TransformPreviewResponse))]
[JsonSerializable(typeof(Message))]
[JsonSerializable(typeof(Dictionary<string, ActiveTopicsInfo>))]
[JsonSerializable(typeof(ConnectorOffsets))]
// Offset maps hold these values (as object); the serializer needs their metadata to write them.
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(double))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(List<object>))]
public sealed partial class ConnectJsonContext : JsonSerializerContext
{
    /// <summary>The instance responses are written with: like Jackson, it escapes only what JSON requires, so quotes,
    /// apostrophes and non-ASCII text in names, configs and messages stay readable ("doesn't", not "doesn\u0027t").</summary>
    public static ConnectJsonContext Wire { get; } = new(new JsonSerializerOptions
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
