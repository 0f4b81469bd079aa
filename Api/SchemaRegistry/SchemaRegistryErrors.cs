using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;
using OrleansConnect.Grains.Interfaces;
using OrleansConnect.Grains.Interfaces.SchemaRegistry;

namespace OrleansConnect.Api.SchemaRegistry;

/// <summary>Every failure leaves as Confluent's {"error_code", "message"}: the registry's own codes (40401, 42201...),
/// the HTTP status for the framework's refusals (404 unknown path, 405...), 50001-style 500s for the rest.</summary>
internal sealed class SchemaRegistryErrors(RequestDelegate next, ILogger<SchemaRegistryErrors> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        catch (Exception thrown)
        {
            var (status, code, message) = thrown switch
            {
                SchemaRegistryException e => (e.Status, e.ErrorCode, e.Message),
                BadHttpRequestException e => (e.StatusCode, e.StatusCode, e.Message),
                _ when SiloUnreachable.Is(thrown) => (500, 50003, "The schema registry's writer could not be reached; retry in a few seconds."),
                TimeoutException => (500, 50002, "Operation timed out."),
                _ => (500, 50001, "Error in the schema registry: " + thrown.Message.Split('\n')[0]),
            };
            if (status >= 500) logger.LogError(thrown, "Schema registry request {Method} {Path} failed with {Status}", context.Request.Method, context.Request.Path, status);
            if (context.Response.HasStarted) throw;
            context.Response.Clear();
            await WriteAsync(context.Response, status, code, message);
            return;
        }
        var response = context.Response;
        if (response.StatusCode >= 400 && !response.HasStarted && response.ContentLength is null or 0 && string.IsNullOrEmpty(response.ContentType))
            await WriteAsync(response, response.StatusCode, response.StatusCode, $"HTTP {response.StatusCode} {ReasonPhrases.GetReasonPhrase(response.StatusCode)}");
    }

    public static Task WriteAsync(HttpResponse response, int status, int code, string message)
    {
        response.StatusCode = status;
        response.ContentType = SchemaRegistryEndpoints.MediaType;
        return response.WriteAsync(new JsonObject { ["error_code"] = code, ["message"] = message }.ToJsonString(SchemaRegistryEndpoints.WireJson), response.HttpContext.RequestAborted);
    }
}
