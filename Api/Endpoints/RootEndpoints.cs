using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using OrleansConnect.Api.Http;
using OrleansConnect.Api.Json;
using OrleansConnect.Api.Logging;
using OrleansConnect.Api.Models;
using OrleansConnect.Grains.Interfaces.Models;

namespace OrleansConnect.Api.Endpoints;

/// <summary>GET / (ServerInfo) and GET /health (WorkerStatus).</summary>
internal static class RootEndpoints
{
    public static void MapRootEndpoints(this IEndpointRouteBuilder app, ILogger log)
    {
        app.MapGet("/", ([FromServices] ConnectGrains grains) =>
                TypedResults.Json(grains.Worker.ServerInfo, ConnectJsonContext.Wire.ServerInfo))
            .WithTags("Root").WithName("serverInfo").WithSummary("Version, commit and Kafka cluster id of this worker")
            .Returns<ServerInfo>();

        app.MapGet("/health", (HttpContext context, [FromServices] ConnectGrains grains) => Health(context, grains, log))
            .WithTags("Root").WithName("healthCheck")
            .WithSummary("healthy (200) once the worker has started and its grain runtime answers within the health check timeout; starting (503) before that; unhealthy (500) otherwise")
            .Returns<WorkerStatus>()
            .Returns<WorkerStatus>(StatusCodes.Status503ServiceUnavailable)
            .Returns<WorkerStatus>(StatusCodes.Status500InternalServerError);
    }

    private static async Task<JsonHttpResult<WorkerStatus>> Health(HttpContext context, ConnectGrains grains, ILogger log)
    {
        if (!grains.Worker.IsReady)
            return Status(WorkerStatus.Starting(), StatusCodes.Status503ServiceUnavailable);

        try
        {
            // This silo's own grain runtime, not a grain that may live on another silo: with one silo dead and the
            // membership store down, a registry shard there would make every silo look unhealthy to a load balancer.
            await grains.Listings.PingLocalAsync(context.RequestAborted).WaitAsync(grains.HealthCheckTimeout, context.RequestAborted);
            return Status(WorkerStatus.Healthy(), StatusCodes.Status200OK);
        }
        catch (TimeoutException)
        {
            var detail = $"The grain runtime did not answer within {grains.HealthCheckTimeout.TotalSeconds:0.###} s.";
            return grains.Worker.IsReady
                ? Status(WorkerStatus.Unhealthy(detail), StatusCodes.Status500InternalServerError)
                : Status(WorkerStatus.Starting(detail), StatusCodes.Status503ServiceUnavailable);
        }
        catch (Exception e) when (e is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
        {
            ApiLog.HealthCheckFailed(log, e);
            return Status(WorkerStatus.Unhealthy(e.Message), StatusCodes.Status500InternalServerError);
        }
    }

    private static JsonHttpResult<WorkerStatus> Status(WorkerStatus status, int code) =>
        TypedResults.Json(status, ConnectJsonContext.Wire.WorkerStatus, statusCode: code);
}
