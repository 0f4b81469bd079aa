using System.Text.Json;
using Microsoft.AspNetCore.Http;
using OrleansConnect.Grains.Interfaces.Errors;
using OrleansConnect.Grains.Interfaces.Models;

namespace OrleansConnect.Api.Http;

/// <summary>Reads the body of PATCH /connectors/{c}/offsets as Connect's ConnectorOffsets. Missing or empty offsets are
/// Connect's 400 "Partitions / offsets need to be provided…" (checked before the connector's existence, as in Connect);
/// a body of another shape or with unknown fields is 400 too (Connect answers 500 there, see docs/rest-api.md).
/// Partition and offset values become strings, longs (integral numbers), doubles, booleans or null.</summary>
internal static class OffsetsBody
{
    public const string Shape =
        "a JSON object {\"offsets\": [{\"partition\": {string: value}, \"offset\": {string: value} or null}, ...]}";

    public const string MissingOffsets = "Partitions / offsets need to be provided for an alter offsets request";

    public static async Task<ConnectorOffsets> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        JsonBody.RequireJsonContentType(request);
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, cancellationToken);
        if (buffer.Length == 0 || buffer.ToArray().All(b => b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
            throw new BadRequestException(MissingOffsets);

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(buffer.ToArray());
        }
        catch (JsonException e)
        {
            throw new BadRequestException($"Request body is not valid JSON: {e.Message} Expected {Shape}.");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Null) throw new BadRequestException(MissingOffsets);
            if (root.ValueKind != JsonValueKind.Object) throw Invalid("$", "expected a JSON object");
            JsonElement? offsets = null;
            foreach (var property in root.EnumerateObject())
            {
                if (property.Name != "offsets") throw Invalid("$." + property.Name, "unrecognized field");
                offsets = property.Value;
            }
            if (offsets is not { } list || list.ValueKind == JsonValueKind.Null) throw new BadRequestException(MissingOffsets);
            if (list.ValueKind != JsonValueKind.Array) throw Invalid("$.offsets", "expected an array");
            if (list.GetArrayLength() == 0) throw new BadRequestException(MissingOffsets);

            var result = new List<ConnectorOffset>();
            var index = 0;
            foreach (var item in list.EnumerateArray())
            {
                var at = $"$.offsets[{index++}]";
                if (item.ValueKind != JsonValueKind.Object) throw Invalid(at, "expected an object {\"partition\": ..., \"offset\": ...}");
                Dictionary<string, object?>? partition = null, offset = null;
                foreach (var property in item.EnumerateObject())
                {
                    switch (property.Name)
                    {
                        case "partition": partition = MapOrNull(property.Value, at + ".partition"); break;
                        case "offset": offset = MapOrNull(property.Value, at + ".offset"); break;
                        default: throw Invalid($"{at}.{property.Name}", "unrecognized field");
                    }
                }
                result.Add(new ConnectorOffset(partition, offset));
            }
            return new ConnectorOffsets(result);
        }
    }

    private static Dictionary<string, object?>? MapOrNull(JsonElement element, string at) => element.ValueKind switch
    {
        JsonValueKind.Null => null,
        JsonValueKind.Object => (Dictionary<string, object?>)ToValue(element)!,
        _ => throw Invalid(at, "expected a JSON object or null"),
    };

    private static object? ToValue(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number => element.TryGetInt64(out var integral) ? (object)integral : element.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Object => element.EnumerateObject().Aggregate(new Dictionary<string, object?>(StringComparer.Ordinal),
            (map, property) => { map[property.Name] = ToValue(property.Value); return map; }),
        JsonValueKind.Array => element.EnumerateArray().Select(ToValue).ToList(),
        _ => null,
    };

    private static BadRequestException Invalid(string at, string reason) =>
        new($"Invalid request body at {at}: {reason}. Expected {Shape}.");

    /// <summary>Offsets as written: nested maps with string keys and lists, whatever the store handed back.</summary>
    public static ConnectorOffsets ForWriting(ConnectorOffsets offsets) => new(offsets.Offsets
        .Select(o => new ConnectorOffset(Normalize(o.Partition), Normalize(o.Offset)))
        .ToList());

    private static Dictionary<string, object?>? Normalize(IReadOnlyDictionary<string, object?>? map) =>
        map?.ToDictionary(kv => kv.Key, kv => NormalizeValue(kv.Value), StringComparer.Ordinal);

    private static object? NormalizeValue(object? value) => value switch
    {
        null or string or bool or long or double => value,
        int or short or sbyte or byte => Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture),
        float f => (double)f,
        System.Collections.IDictionary map => map.Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => e.Key.ToString()!, e => NormalizeValue(e.Value), StringComparer.Ordinal),
        byte[] bytes => Convert.ToBase64String(bytes),
        System.Collections.IEnumerable list => list.Cast<object?>().Select(NormalizeValue).ToList(),
        _ => value.ToString(),
    };
}
