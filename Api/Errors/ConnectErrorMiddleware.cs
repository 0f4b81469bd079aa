using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OrleansConnect.Api.Http;
using OrleansConnect.Grains.Interfaces.Errors;

namespace OrleansConnect.Api.Errors;

/// <summary>Connect's exception mapper: every failure leaves as {"error_code","message"} with error_code = status.
/// <list type="bullet">
/// <item><see cref="ConnectRestException"/> (what grains throw), also when Orleans wrapped it (a storage failure arrives
/// inside an OrleansException): its status and message.</item>
/// <item>Errors of the HTTP layer (bad request framing, body too large): their status.</item>
/// <item>Anything else: 500 with the exception's message.</item>
/// <item>A response the framework ended with an error status and no body (unknown path 404, wrong method 405,
/// routing's 415...): the body Jersey would write, "HTTP &lt;status&gt; &lt;reason&gt;".</item>
/// </list></summary>
internal sealed class ConnectErrorMiddleware(RequestDelegate next, ILogger<ConnectErrorMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (Exception e) when (context.RequestAborted.IsCancellationRequested && e is OperationCanceledException)
        {
            // The client went away; nobody is left to answer.
            logger.LogDebug("Request {Method} {Path} aborted by the client", context.Request.Method, context.Request.Path);
            return;
        }
        catch (Exception thrown)
        {
            var e = Unwrap(thrown);
            var (status, message) = Map(e);
            if (status >= 500)
                logger.LogError(e, "Request {Method} {Path} failed with {Status}", context.Request.Method, context.Request.Path, status);
            else
                logger.LogDebug("Request {Method} {Path} answered {Status}: {Message}", context.Request.Method, context.Request.Path, status, message);

            if (context.Response.HasStarted)
                throw; // Too late for an error body; let the server abort the response.

            context.Response.Clear();
            await ErrorResponses.WriteAsync(context.Response, status, message);
            return;
        }

        var response = context.Response;
        if (response.StatusCode >= 400 && !response.HasStarted && response.ContentLength is null or 0
            && string.IsNullOrEmpty(response.ContentType))
        {
            await ErrorResponses.WriteAsync(response, response.StatusCode, ErrorResponses.HttpStatusMessage(response.StatusCode));
        }
    }

    private static (int Status, string? Message) Map(Exception e) => e switch
    {
        ConnectRestException rest => (rest.Status, rest.Message),
        BadHttpRequestException bad => (bad.StatusCode, bad.Message),
        JsonException json => (StatusCodes.Status400BadRequest, JsonBody.Describe(json, "a JSON body of the documented shape")),
        // A grain call that got no answer within Orleans' response timeout (a silo paused, overloaded or just died).
        TimeoutException => (StatusCodes.Status500InternalServerError, "Request timed out."),
        _ => (StatusCodes.Status500InternalServerError, e.Message),
    };

    // Grain calls may surface the grain's exception wrapped; the mapping is about the grain's exception. Orleans wraps
    // too: a failed grain-state read, write or clear arrives as OrleansException("Error from storage provider ...") with
    // the storage's StorageFailedException inside (and so does an activation that failed on it), so a Connect error
    // anywhere down the chain is the answer.
    private static Exception Unwrap(Exception e)
    {
        while (true)
        {
            switch (e)
            {
                case AggregateException { InnerExceptions.Count: 1 } aggregate:
                    e = aggregate.InnerExceptions[0];
                    continue;
                case TargetInvocationException { InnerException: { } inner }:
                    e = inner;
                    continue;
                case ConnectRestException:
                    return e;
                default:
                    return FindConnectError(e.InnerException, depth: 0) ?? e;
            }
        }
    }

    private static ConnectRestException? FindConnectError(Exception? e, int depth)
    {
        // Bounded: exception chains are short, and a deserialized one should never be trusted to end.
        for (; e is not null && depth < 16; e = e.InnerException, depth++)
        {
            if (e is ConnectRestException rest) return rest;
            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions)
                {
                    if (FindConnectError(inner, depth + 1) is { } found) return found;
                }
                return null;
            }
        }
        return null;
    }
}
