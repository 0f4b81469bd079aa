using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Microsoft.AspNetCore.Routing;
using OrleansConnect.Api.Http;
using OrleansConnect.Api.Json;
using OrleansConnect.Grains.Interfaces;
using OrleansConnect.Grains.Interfaces.Errors;
using OrleansConnect.Grains.Interfaces.Models;


namespace OrleansConnect.Api.Endpoints;

/// <summary>POST /transforms/preview (an extension): a config's converters and transformation chain applied to
/// sample records, answered by the <see cref="ITransformPreviewGrain"/>.</summary>
internal static class TransformsPreviewEndpoints
{
    private const string RequestShape =
        "{\"config\": {connector config keys}, \"records\": [{\"topic\", \"partition\", \"offset\", \"timestamp\", \"key\", \"value\", \"headers\": [{\"key\", \"value\"}]}]}";

    public static void MapTransformsPreviewEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/transforms/preview", async (HttpContext context, [FromServices] ConnectGrains grains, [FromServices] IGrainFactory grainFactory) =>
            {
                var request = await JsonBody.ReadAsync(context.Request, ConnectRequestJsonContext.Default.TransformPreviewRequest,
                                  RequestShape, context.RequestAborted)
                              ?? throw new BadRequestException($"Request body is missing. Expected {RequestShape}.");
                var preview = grainFactory.GetGrain<ITransformPreviewGrain>(ITransformPreviewGrain.LocalKey);
                return TypedResults.Json(await grains.Call(preview.Preview(request), context.RequestAborted),
                    ConnectJsonContext.Wire.TransformPreviewResponse);
            })
            .WithTags("Transforms")
            .WithName("previewTransforms")
            .WithSummary("Run a config's converters, transformations and predicates on sample records (an extension). "
                + "Records with an offset are sink records, others source records; each answer is the resulting record, "
                + "{\"dropped\": true} or {\"error\": message}. An invalid transform, predicate or converter config is 400.")
            .Consumes<TransformPreviewRequest>()
            .Produces(StatusCodes.Status200OK, responseType: null, contentType: JsonBody.MediaType)
            .AddOpenApiOperationTransformer(DescribeResponseAsync);
    }

    /// <summary>The 200 body: {"records": [record | {"dropped": true} | {"error": message}]}. Written by hand because
    /// the outcomes are told apart by their members: the generator would describe a "$type" discriminator that the
    /// API never writes.</summary>
    private static async Task DescribeResponseAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        if (operation.Responses?.TryGetValue("200", out var ok) != true || ok is not OpenApiResponse response) return;
        var outcome = new OpenApiSchema
        {
            AnyOf =
            [
                // The request's record schema (a component): the answer's records have the same shape.
                context.Document is { } document
                    ? new OpenApiSchemaReference(nameof(PreviewRecord), document)
                    : await context.GetOrCreateSchemaAsync(typeof(PreviewRecord), null, cancellationToken),
                await context.GetOrCreateSchemaAsync(typeof(PreviewDropped), null, cancellationToken),
                await context.GetOrCreateSchemaAsync(typeof(PreviewError), null, cancellationToken),
            ],
        };
        var body = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Required = new HashSet<string> { "records" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["records"] = new OpenApiSchema { Type = JsonSchemaType.Array, Items = outcome, Description = "One outcome per input record, in order." },
            },
        };
        response.Content ??= new Dictionary<string, OpenApiMediaType>();
        response.Content[JsonBody.MediaType] = new OpenApiMediaType { Schema = body };
    }
}
