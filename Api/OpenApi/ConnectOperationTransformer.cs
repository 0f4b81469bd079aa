using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace OrleansConnect.Api.OpenApi;

/// <summary>Corrects what the generator cannot infer from the handlers: flags the handlers parse leniently (as JAX-RS
/// does) are documented as booleans, and GET /connectors answers either a list of names or, with expand, a map.</summary>
internal sealed class ConnectOperationTransformer : IOpenApiOperationTransformer
{
    private static readonly Dictionary<string, string> Flags = new(StringComparer.Ordinal)
    {
        ["includeTasks"] = "Also restart the tasks (default false).",
        ["onlyFailed"] = "Restart only the instances that are FAILED (default false).",
        ["connectorsOnly"] = "Only source and sink connectors (default true); false lists all six plugin types.",
    };

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        foreach (var parameter in operation.Parameters ?? [])
        {
            if (parameter is not OpenApiParameter { In: ParameterLocation.Query } query || query.Name is null)
                continue;
            if (Flags.TryGetValue(query.Name, out var description))
            {
                query.Schema = new OpenApiSchema { Type = JsonSchemaType.Boolean };
                query.Description = description;
            }
            else if (query.Name == "expand")
            {
                query.Description = "Repeatable: status and/or info; any expand turns the answer into a map of name to expansions.";
            }
            else if (query.Name == "scope")
            {
                query.Description = "worker (default) or cluster; other values count as worker.";
            }
        }

        if (operation.OperationId == "listConnectors"
            && operation.Responses is { } responses
            && responses.TryGetValue("200", out var ok)
            && ok.Content is { } content
            && content.TryGetValue("application/json", out var media)
            && media.Schema is { } expanded)
        {
            media.Schema = new OpenApiSchema
            {
                OneOf =
                [
                    new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
                    expanded,
                ],
            };
        }
        return Task.CompletedTask;
    }
}
