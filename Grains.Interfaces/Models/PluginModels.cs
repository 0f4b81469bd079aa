using Orleans;
using System.Text.Json.Serialization;

namespace OrleansConnect.Grains.Interfaces.Models;

/// <summary>Connect's PluginInfo; version omitted when undefined.</summary>
[GenerateSerializer, Alias("oc.PluginInfo")]
public sealed record PluginInfo(
    [property: JsonPropertyName("class")] string Class,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("version"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Version);

/// <summary>Connect's ConfigKeyInfo; serialized "order" (not order_in_group).</summary>
[GenerateSerializer, Alias("oc.ConfigKeyInfo")]
public sealed record ConfigKeyInfo(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("required")] bool Required,
    [property: JsonPropertyName("default_value")] string? DefaultValue,
    [property: JsonPropertyName("importance")] string Importance,
    [property: JsonPropertyName("documentation")] string Documentation,
    [property: JsonPropertyName("group")] string? Group,
    [property: JsonPropertyName("width")] string Width,
    [property: JsonPropertyName("display_name")] string DisplayName,
    [property: JsonPropertyName("dependents")] List<string> Dependents,
    [property: JsonPropertyName("order")] int Order);

[GenerateSerializer, Alias("oc.ConfigValueInfo")]
public sealed record ConfigValueInfo(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("value")] string? Value,
    [property: JsonPropertyName("recommended_values")] List<string> RecommendedValues,
    [property: JsonPropertyName("errors")] List<string> Errors,
    [property: JsonPropertyName("visible")] bool Visible);

[GenerateSerializer, Alias("oc.ConfigInfo")]
public sealed record ConfigInfo(
    [property: JsonPropertyName("definition")] ConfigKeyInfo? Definition,
    [property: JsonPropertyName("value")] ConfigValueInfo? Value);

[GenerateSerializer, Alias("oc.ConfigInfos")]
public sealed record ConfigInfos(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("error_count")] int ErrorCount,
    [property: JsonPropertyName("groups")] List<string> Groups,
    [property: JsonPropertyName("configs")] List<ConfigInfo> Configs);

/// <summary>Connect's ServerInfo.</summary>
[GenerateSerializer, Alias("oc.ServerInfo")]
public sealed record ServerInfo(
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("commit")] string Commit,
    [property: JsonPropertyName("kafka_cluster_id")] string KafkaClusterId);
