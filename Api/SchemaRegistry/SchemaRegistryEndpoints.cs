using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrleansConnect.Grains.Interfaces.SchemaRegistry;

namespace OrleansConnect.Api.SchemaRegistry;

/// <summary>Confluent Schema Registry's REST contract (the part clients and converters use): subjects, versions, ids,
/// compatibility levels and checks, modes. Bodies are Confluent's JSON in application/vnd.schemaregistry.v1+json.</summary>
internal static class SchemaRegistryEndpoints
{
    public const string MediaType = "application/vnd.schemaregistry.v1+json";

    // Quotes inside schema strings stay \" as Jackson writes them, not \u0022.
    public static readonly JsonSerializerOptions WireJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/", () => Json(new JsonObject()));
        app.MapGet("/schemas/types", (ISchemaRegistry r) => Json(Array(r.SchemaTypes)));
        app.MapGet("/schemas/ids/{id}", (ISchemaRegistry r, string id) => Json(SchemaString(r.ById(Id(id)))));
        app.MapGet("/schemas/ids/{id}/schema", (ISchemaRegistry r, string id) => Raw(r.ById(Id(id)).Schema));
        app.MapGet("/schemas/ids/{id}/subjects", (ISchemaRegistry r, string id, bool? deleted) =>
            Json(Array(r.VersionsOfId(Id(id), deleted == true).Select(v => v.Subject).Distinct())));
        app.MapGet("/schemas/ids/{id}/versions", (ISchemaRegistry r, string id, bool? deleted) =>
            Json(new JsonArray(r.VersionsOfId(Id(id), deleted == true)
                .Select(v => (JsonNode)new JsonObject { ["subject"] = v.Subject, ["version"] = v.Version }).ToArray())));

        app.MapGet("/subjects", (ISchemaRegistry r, bool? deleted, string? subjectPrefix) => Json(Array(r.Subjects(deleted == true, subjectPrefix))));
        app.MapGet("/subjects/{subject}/versions", (ISchemaRegistry r, string subject, bool? deleted) =>
            Json(new JsonArray(r.Versions(subject, deleted == true).Select(v => (JsonNode)v).ToArray())));
        app.MapGet("/subjects/{subject}/versions/{version}", (ISchemaRegistry r, string subject, string version, bool? deleted) =>
            Json(SchemaEntity(r.Version(subject, version, deleted == true))));
        app.MapGet("/subjects/{subject}/versions/{version}/schema", (ISchemaRegistry r, string subject, string version, bool? deleted) =>
            Raw(r.Version(subject, version, deleted == true).Schema));
        app.MapGet("/subjects/{subject}/versions/{version}/referencedby", (ISchemaRegistry r, string subject, string version) =>
        {
            r.Version(subject, version, true);
            return Json(new JsonArray()); // references are not supported yet, so nothing refers to anything
        });
        app.MapPost("/subjects/{subject}/versions", async (ISchemaRegistry r, HttpRequest request, string subject, bool? normalize) =>
        {
            var registered = await r.RegisterAsync(subject, await SubmissionAsync(request), normalize == true, request.HttpContext.RequestAborted);
            var body = new JsonObject { ["id"] = registered.Id, ["version"] = registered.Version };
            if (registered.SchemaType != "AVRO") body["schemaType"] = registered.SchemaType;
            body["schema"] = registered.Schema;
            return Json(body);
        });
        app.MapPost("/subjects/{subject}", async (ISchemaRegistry r, HttpRequest request, string subject, bool? normalize, bool? deleted) =>
            Json(SchemaEntity(r.Lookup(subject, await SubmissionAsync(request), normalize == true, deleted == true))));
        app.MapDelete("/subjects/{subject}/versions/{version}", async (ISchemaRegistry r, HttpContext context, string subject, string version, bool? permanent) =>
            Json(await r.DeleteVersionAsync(subject, version, permanent == true, context.RequestAborted)));
        app.MapDelete("/subjects/{subject}", async (ISchemaRegistry r, HttpContext context, string subject, bool? permanent) =>
            Json(new JsonArray((await r.DeleteSubjectAsync(subject, permanent == true, context.RequestAborted)).Select(v => (JsonNode)v).ToArray())));

        app.MapGet("/config", (ISchemaRegistry r) => Json(new JsonObject { ["compatibilityLevel"] = r.Compatibility(null, true) }));
        app.MapPut("/config", async (ISchemaRegistry r, HttpRequest request) => await PutConfigAsync(r, request, null));
        app.MapDelete("/config", async (ISchemaRegistry r, HttpContext context) =>
            Json(new JsonObject { ["compatibilityLevel"] = await r.DeleteCompatibilityAsync(null, context.RequestAborted) }));
        app.MapGet("/config/{subject}", (ISchemaRegistry r, string subject, bool? defaultToGlobal) =>
            Json(new JsonObject
            {
                ["compatibilityLevel"] = r.Compatibility(subject, defaultToGlobal == true) ?? throw SchemaRegistryException.SubjectCompatibilityNotConfigured(subject),
            }));
        app.MapPut("/config/{subject}", async (ISchemaRegistry r, HttpRequest request, string subject) => await PutConfigAsync(r, request, subject));
        app.MapDelete("/config/{subject}", async (ISchemaRegistry r, HttpContext context, string subject) =>
            Json(new JsonObject { ["compatibilityLevel"] = await r.DeleteCompatibilityAsync(subject, context.RequestAborted) }));

        app.MapPost("/compatibility/subjects/{subject}/versions/{version}", async (ISchemaRegistry r, HttpRequest request, string subject, string version, bool? verbose, bool? normalize) =>
            Compatibility(r.CheckCompatibility(subject, version, await SubmissionAsync(request), normalize == true), verbose == true));
        app.MapPost("/compatibility/subjects/{subject}/versions", async (ISchemaRegistry r, HttpRequest request, string subject, bool? verbose, bool? normalize) =>
            Compatibility(r.CheckCompatibility(subject, null, await SubmissionAsync(request), normalize == true), verbose == true));

        app.MapGet("/mode", (ISchemaRegistry r) => Json(new JsonObject { ["mode"] = r.Mode(null, true) }));
        app.MapPut("/mode", async (ISchemaRegistry r, HttpRequest request, bool? force) => await PutModeAsync(r, request, null, force == true));
        app.MapGet("/mode/{subject}", (ISchemaRegistry r, string subject, bool? defaultToGlobal) =>
            Json(new JsonObject { ["mode"] = r.Mode(subject, defaultToGlobal == true) ?? throw SchemaRegistryException.SubjectModeNotConfigured(subject) }));
        app.MapPut("/mode/{subject}", async (ISchemaRegistry r, HttpRequest request, string subject, bool? force) => await PutModeAsync(r, request, subject, force == true));
        app.MapDelete("/mode/{subject}", async (ISchemaRegistry r, HttpContext context, string subject) =>
            Json(new JsonObject { ["mode"] = await r.DeleteModeAsync(subject, context.RequestAborted) }));
    }

    private static async Task<IResult> PutConfigAsync(ISchemaRegistry registry, HttpRequest request, string? subject)
    {
        var body = await BodyAsync(request);
        var level = body?["compatibility"]?.GetValueKind() == JsonValueKind.String ? body["compatibility"]!.GetValue<string>()
            : body?["compatibilityLevel"]?.GetValueKind() == JsonValueKind.String ? body["compatibilityLevel"]!.GetValue<string>() : null;
        if (level is null) throw SchemaRegistryException.InvalidCompatibility();
        var normalized = level.ToUpperInvariant();
        await registry.SetCompatibilityAsync(subject, normalized, request.HttpContext.RequestAborted);
        return Json(new JsonObject { ["compatibility"] = normalized });
    }

    private static async Task<IResult> PutModeAsync(ISchemaRegistry registry, HttpRequest request, string? subject, bool force)
    {
        var body = await BodyAsync(request);
        var mode = body?["mode"]?.GetValueKind() == JsonValueKind.String ? body["mode"]!.GetValue<string>() : throw SchemaRegistryException.InvalidMode();
        await registry.SetModeAsync(subject, mode, force, request.HttpContext.RequestAborted);
        return Json(new JsonObject { ["mode"] = mode.ToUpperInvariant() });
    }

    private static IResult Compatibility(IReadOnlyList<string> messages, bool verbose)
    {
        var body = new JsonObject { ["is_compatible"] = messages.Count == 0 };
        if (verbose) body["messages"] = Array(messages);
        return Json(body);
    }

    private static async Task<SchemaSubmission> SubmissionAsync(HttpRequest request)
    {
        var body = await BodyAsync(request) ?? throw new SchemaRegistryException(422, 422, "The request body must be a JSON object with a \"schema\".");
        var schema = body["schema"]?.GetValueKind() == JsonValueKind.String ? body["schema"]!.GetValue<string>()
            : throw SchemaRegistryException.InvalidSchema("Empty schema: the request body has no \"schema\" string.");
        var type = body["schemaType"]?.GetValueKind() == JsonValueKind.String ? body["schemaType"]!.GetValue<string>() : null;
        var references = new List<SchemaReference>();
        if (body["references"] is JsonArray refs)
        {
            foreach (var r in refs)
            {
                if (r is not JsonObject o || o["name"]?.GetValueKind() != JsonValueKind.String || o["subject"]?.GetValueKind() != JsonValueKind.String
                    || o["version"]?.GetValueKind() != JsonValueKind.Number)
                    throw SchemaRegistryException.InvalidSchema("Invalid schema reference: each needs a name, a subject and a version.");
                references.Add(new SchemaReference(o["name"]!.GetValue<string>(), o["subject"]!.GetValue<string>(), o["version"]!.GetValue<int>()));
            }
        }
        int? Number(string name) => body[name]?.GetValueKind() == JsonValueKind.Number ? body[name]!.GetValue<int>() : null;
        return new SchemaSubmission(schema, type ?? "AVRO", references, Number("id"), Number("version"));
    }

    private static async Task<JsonObject?> BodyAsync(HttpRequest request)
    {
        JsonNode? node;
        try
        {
            node = await JsonNode.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted);
        }
        catch (JsonException e)
        {
            throw new SchemaRegistryException(400, 400, $"Invalid JSON in the request body: {e.Message}");
        }
        return node switch
        {
            null => null,
            JsonObject o => o,
            _ => throw new SchemaRegistryException(422, 422, "The request body must be a JSON object."),
        };
    }

    private static int Id(string id) =>
        int.TryParse(id, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value)
            ? value : throw SchemaRegistryException.SchemaNotFound();

    // GET /schemas/ids/{id}: the schema and its type (left out for Avro, as Confluent does) and references.
    private static JsonObject SchemaString(RegisteredSchema schema)
    {
        var body = new JsonObject();
        if (schema.SchemaType != "AVRO") body["schemaType"] = schema.SchemaType;
        body["schema"] = schema.Schema;
        if (schema.References.Count > 0) body["references"] = References(schema.References);
        return body;
    }

    private static JsonObject SchemaEntity(RegisteredSchema schema)
    {
        var body = new JsonObject { ["subject"] = schema.Subject, ["version"] = schema.Version, ["id"] = schema.Id };
        if (schema.SchemaType != "AVRO") body["schemaType"] = schema.SchemaType;
        if (schema.References.Count > 0) body["references"] = References(schema.References);
        body["schema"] = schema.Schema;
        if (schema.Deleted) body["deleted"] = true;
        return body;
    }

    private static JsonArray References(IReadOnlyList<SchemaReference> references) =>
        new(references.Select(r => (JsonNode)new JsonObject { ["name"] = r.Name, ["subject"] = r.Subject, ["version"] = r.Version }).ToArray());

    private static JsonArray Array(IEnumerable<string> values) => new(values.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());

    private static IResult Json(JsonNode body) => Results.Text(body.ToJsonString(SchemaRegistryEndpoints.WireJson), MediaType);

    private static IResult Json(int value) => Results.Text(value.ToString(System.Globalization.CultureInfo.InvariantCulture), MediaType);

    // GET .../schema: the schema document itself, not a JSON string holding it.
    private static IResult Raw(string schema) => Results.Text(schema, MediaType);
}
