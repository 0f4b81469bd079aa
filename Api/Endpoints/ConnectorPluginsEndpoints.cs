using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using OrleansConnect.Api.Http;
using OrleansConnect.Api.Json;
using OrleansConnect.Grains.Interfaces.Errors;
using OrleansConnect.Grains.Interfaces.Models;
using static Microsoft.AspNetCore.Http.StatusCodes;

namespace OrleansConnect.Api.Endpoints;

/// <summary>/connector-plugins (contract §3 rows 24-26, §6, §7), answered by the IPluginsGrain.</summary>
internal static class ConnectorPluginsEndpoints
{
    private const string ConfigShape = "a JSON object of config keys to string values";

    // Index of {plugin} among the path segments: "connector-plugins/{plugin}/...".
    private const int PluginSegment = 1;

    public static void MapConnectorPluginsEndpoints(this IEndpointRouteBuilder app)
    {
        var plugins = app.MapGroup("/connector-plugins").WithTags("Connector plugins");

        plugins.MapGet("/", async (HttpContext context, [FromServices] ConnectGrains grains, [FromQuery] string? connectorsOnly) =>
            {
                var only = QueryFlags.Get(context.Request, "connectorsOnly", defaultValue: true);
                return TypedResults.Json(await grains.Call(grains.Plugins().ListPlugins(only), context.RequestAborted),
                    ConnectJsonContext.Wire.ListPluginInfo);
            })
            .WithName("listConnectorPlugins")
            .WithSummary("Installed plugins: source and sink connectors (connectorsOnly=true, the default) or all six plugin types")
            .Returns<List<PluginInfo>>();

        plugins.MapGet("/{plugin}/config", async (HttpContext context, string plugin, [FromServices] ConnectGrains grains) =>
                TypedResults.Json(await grains.Call(grains.Plugins().GetPluginConfig(Plugin(context, plugin)), context.RequestAborted),
                    ConnectJsonContext.Wire.ListConfigKeyInfo))
            .WithName("getConnectorConfigDef")
            .WithSummary("The plugin's config definition: its own keys in definition order, then the framework's")
            .Returns<List<ConfigKeyInfo>>().Fails(Status400BadRequest, Status404NotFound);

        plugins.MapPut("/{plugin}/config/validate", async (HttpContext context, string plugin, [FromServices] ConnectGrains grains) =>
            {
                var name = Plugin(context, plugin);
                var config = await JsonBody.ReadAsync(context.Request, ConnectRequestJsonContext.Default.DictionaryStringString,
                                 ConfigShape, context.RequestAborted)
                             ?? throw new BadRequestException($"Request body is missing. Expected {ConfigShape}.");
                return TypedResults.Json(await grains.Call(grains.Plugins().Validate(name, config), context.RequestAborted),
                    ConnectJsonContext.Wire.ConfigInfos);
            })
            .WithName("validateConfigs")
            .WithSummary("Validate a connector config; validation errors are reported inside the 200 body")
            .Consumes<Dictionary<string, string>>()
            .Returns<ConfigInfos>();
    }

    private static string Plugin(HttpContext context, string routeValue) =>
        RouteNames.Decode(context, routeValue, PluginSegment);
}
