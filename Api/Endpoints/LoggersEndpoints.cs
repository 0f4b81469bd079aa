using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using OrleansConnect.Api.Http;
using OrleansConnect.Api.Json;
using OrleansConnect.Api.Logging;
using OrleansConnect.Api.Models;
using OrleansConnect.Grains.Interfaces.Errors;
using static Microsoft.AspNetCore.Http.StatusCodes;

namespace OrleansConnect.Api.Endpoints;

/// <summary>/admin/loggers (contract §3 rows 27-29, §8): this worker's log levels, backed by <see cref="ILoggerLevels"/>;
/// scope=cluster levels go through <see cref="ClusterLoggerLevels"/> to every silo.</summary>
internal static class LoggersEndpoints
{
    private const string LevelShape = "a JSON object {\"level\": string}";

    // Index of {logger} among the path segments: "admin/loggers/{logger}".
    private const int LoggerSegment = 2;

    public static void MapLoggersEndpoints(this IEndpointRouteBuilder app, ILogger log)
    {
        var loggers = app.MapGroup("/admin/loggers").WithTags("Loggers");

        loggers.MapGet("/", ([FromServices] ILoggerLevels levels) =>
                TypedResults.Json(levels.AllLevels(), ConnectJsonContext.Wire.SortedDictionaryStringLoggerLevel))
            .WithName("listLoggers").WithSummary("Loggers with an explicitly set level, and root")
            .Returns<SortedDictionary<string, LoggerLevel>>();

        loggers.MapGet("/{logger}", (HttpContext context, string logger, [FromServices] ILoggerLevels levels) =>
            {
                var name = RouteNames.Decode(context, logger, LoggerSegment);
                var level = levels.Level(name) ?? throw new NotFoundException($"Logger {name} not found.");
                return TypedResults.Json(level, ConnectJsonContext.Wire.LoggerLevel);
            })
            .WithName("getLogger").WithSummary("A logger's level (its effective level if not set explicitly)")
            .Returns<LoggerLevel>().Fails(Status404NotFound);

        loggers.MapPut("/{logger}", (HttpContext context, string logger, [FromServices] ILoggerLevels levels,
                    [FromServices] ClusterLoggerLevels clusterLevels, [FromServices] ConnectGrains grains, [FromQuery] string? scope) =>
                SetLevel(context, levels, clusterLevels, grains, logger, scope, log))
            .WithName("setLevel")
            .WithSummary("Set the level of a logger and of every known logger whose name starts with it; scope=worker (default) on this silo, answering the affected names; scope=cluster on every running silo, answering 204")
            .Consumes<Dictionary<string, string>>()
            .Returns<List<string>>().ReturnsNoBody(Status204NoContent).Fails(Status404NotFound);
    }

    private static async Task<IResult> SetLevel(HttpContext context, ILoggerLevels levels, ClusterLoggerLevels clusterLevels,
        ConnectGrains grains, string logger, string? scope, ILogger log)
    {
        var name = RouteNames.Decode(context, logger, LoggerSegment);
        // Connect reads the body as a map: other keys are ignored, a missing body is like an empty one.
        var body = await JsonBody.ReadAsync(context.Request, ConnectRequestJsonContext.Default.DictionaryStringString,
            LevelShape, context.RequestAborted);
        if (body is null || !body.TryGetValue("level", out var requested) || requested is null)
            throw new BadRequestException("Desired 'level' parameter was not specified in request.");
        if (!Log4jLevels.TryParse(requested, out var level))
            throw new NotFoundException($"invalid log level '{requested}'.");
        if (name.Contains('*'))
            throw new BadRequestException($"Logger name '{name}' may not contain '*': .NET logging treats it as a wildcard.");

        var requestedScope = string.IsNullOrEmpty(scope) ? "worker" : scope;
        if (string.Equals(requestedScope, "cluster", StringComparison.OrdinalIgnoreCase))
        {
            // Recorded for every silo and applied here before the answer; the others poll for it.
            ApiLog.SettingClusterLogLevel(log, name, Log4jLevels.Name(level));
            await grains.Call(clusterLevels.SetLevelAsync(name, level, context.RequestAborted), context.RequestAborted);
            return Results.NoContent();
        }
        if (!string.Equals(requestedScope, "worker", StringComparison.OrdinalIgnoreCase))
            ApiLog.UnknownLoggingScope(log, requestedScope);

        var affected = levels.SetLevel(name, level);
        ApiLog.SettingLogLevel(log, name, Log4jLevels.Name(level), affected.Count);
        return TypedResults.Json(affected, ConnectJsonContext.Wire.ListString);
    }
}
