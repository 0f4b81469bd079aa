using Orleans;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrleansConnect.Grains.Interfaces.Models;

/// <summary>POST /transforms/preview body: connector config keys (transforms.*, predicates.*, key.converter(.*),
/// value.converter(.*), header.converter(.*); converters default to the worker's) and sample records.</summary>
[GenerateSerializer, Alias("oc.TransformPreviewRequest")]
public sealed record TransformPreviewRequest(
    [property: JsonPropertyName("records")] List<PreviewRecord>? Records,
    [property: JsonPropertyName("config")] Dictionary<string, string?>? Config = null);

/// <summary>The answer: one outcome per input record, in order.</summary>
[GenerateSerializer, Alias("oc.TransformPreviewResponse")]
public sealed record TransformPreviewResponse(
    [property: JsonPropertyName("records")] List<PreviewOutcome> Records);

/// <summary>What happened to one record: the record that came out (<see cref="PreviewRecord"/>), a drop
/// (<see cref="PreviewDropped"/>) or an error (<see cref="PreviewError"/>).</summary>
[JsonDerivedType(typeof(PreviewRecord))]
[JsonDerivedType(typeof(PreviewDropped))]
[JsonDerivedType(typeof(PreviewError))]
[GenerateSerializer, Alias("oc.PreviewOutcome")]
public abstract record PreviewOutcome;

/// <summary>A record: with an offset it is a sink record (consumed from Kafka), without one a source record.
/// Key, value and header values are JSON: null is null bytes, anything else its JSON text in UTF-8, read (and, for
/// outputs, written) by the converters; output bytes that are not JSON are shown as a JSON string.</summary>
[GenerateSerializer, Alias("oc.PreviewRecord")]
public sealed record PreviewRecord(
    [property: JsonPropertyName("topic")] string? Topic,
    [property: JsonPropertyName("partition")] int? Partition = null,
    [property: JsonPropertyName("offset"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Offset = null,
    [property: JsonPropertyName("timestamp")] long? Timestamp = null,
    [property: JsonPropertyName("key")] JsonElement? Key = null,
    [property: JsonPropertyName("value")] JsonElement? Value = null,
    [property: JsonPropertyName("headers")] List<PreviewHeader>? Headers = null) : PreviewOutcome;

[GenerateSerializer, Alias("oc.PreviewHeader")]
public sealed record PreviewHeader(
    [property: JsonPropertyName("key")] string? Key,
    [property: JsonPropertyName("value")] JsonElement? Value = null);

/// <summary>{"dropped": true}: a transformation (or Filter) dropped the record.</summary>
[GenerateSerializer, Alias("oc.PreviewDropped")]
public sealed record PreviewDropped([property: JsonPropertyName("dropped")] bool Dropped) : PreviewOutcome;

/// <summary>{"error": "..."}: the record failed in a converter, predicate or transformation.</summary>
[GenerateSerializer, Alias("oc.PreviewError")]
public sealed record PreviewError([property: JsonPropertyName("error")] string Error) : PreviewOutcome;
