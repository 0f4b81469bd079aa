using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrleansConnect.Api.Http;
using OrleansConnect.Grains.Interfaces;
using OrleansConnect.Grains.Interfaces.Errors;

namespace OrleansConnect.Api.Errors;

/// <summary>Connect's exception mapper: every failure leaves as {"error_code","message"} with error_code = status.
/// <list type="bullet">
/// <item><see cref="ConnectRestException"/> (what grains throw), also when Orleans wrapped it (a storage failure arrives
/// inside an OrleansException): its status and message.</item>
/// <item>Errors of the HTTP layer (bad request framing, body too large): their status.</item>
/// <item>A grain call whose silo cannot be reached (killed and not yet declared dead): 503 naming the silo.</item>
/// <item>Anything else: 500 with the first line of the exception's message. No body carries a stack trace: Orleans puts
/// the inner exception's full text into its own messages, so only the first line is kept; the log has the rest.</item>
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
            var (status, message) = Map(e, thrown, context.RequestServices.GetService<ISiloNames>());
            if (status == StatusCodes.Status503ServiceUnavailable)
                logger.LogWarning(thrown, "Request {Method} {Path} answered {Status}: {Message}", context.Request.Method, context.Request.Path, status, message);
            else if (status >= 500)
                logger.LogError(thrown, "Request {Method} {Path} failed with {Status}", context.Request.Method, context.Request.Path, status);
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

    private static (int Status, string? Message) Map(Exception e, Exception thrown, ISiloNames? names) => e switch
    {
        ConnectRestException rest => (rest.Status, rest.Message),
        BadHttpRequestException bad => (bad.StatusCode, bad.Message),
        JsonException json => (StatusCodes.Status400BadRequest, JsonBody.Describe(json, "a JSON body of the documented shape")),
        _ when SiloUnreachable.IsForwardingFailure(thrown) => (StatusCodes.Status503ServiceUnavailable,
            "The grain serving this request was moving to a new activation and did not take the request; retry it."),
        _ when SiloUnreachable.Is(thrown) => (StatusCodes.Status503ServiceUnavailable, UnreachableMessage(thrown, names)),
        // A grain call that got no answer within Orleans' response timeout (a silo paused, overloaded or just died).
        TimeoutException => (StatusCodes.Status500InternalServerError, "Request timed out."),
        _ when IsStorageError(e) => (StatusCodes.Status500InternalServerError, StorageMessage(e)),
        _ => (StatusCodes.Status500InternalServerError, FirstLine(e.Message)),
    };

    /// <summary>Which silo could not be reached, and that retrying is the remedy: once membership declares it dead, the
    /// grains it held come back on another silo with their next call.</summary>
    public static string UnreachableMessage(Exception e, ISiloNames? names, string? connector = null)
    {
        var silo = SiloUnreachable.SiloOf(e);
        var which = silo is null ? "" : " " + (names?.Describe(silo) ?? silo.ToString());
        return connector is null
            ? $"Silo{which} cannot be reached: it stopped or is cut off and has not been declared dead yet. Retry in a few seconds."
            : $"Connector {connector} cannot be reached: its silo{which} stopped or is cut off and has not been declared dead yet. Retry in a few seconds.";
    }

    // Npgsql's exceptions, also when they could not cross a grain call ("Could not find a codec for type Npgsql...").
    private static bool IsStorageError(Exception e)
    {
        for (var depth = 0; e is not null && depth < 16; e = e.InnerException!, depth++)
        {
            if (e.GetType().Namespace?.StartsWith("Npgsql", StringComparison.Ordinal) == true
                || e.Message.Contains("codec for type Npgsql.", StringComparison.Ordinal))
                return true;
            if (e.InnerException is null) break;
        }
        return false;
    }

    private static string StorageMessage(Exception e)
    {
        for (var depth = 0; e is not null && depth < 16; e = e.InnerException!, depth++)
        {
            // Npgsql's messages name the server and the failure, never the password.
            if (e.GetType().Namespace?.StartsWith("Npgsql", StringComparison.Ordinal) == true)
                return $"Storage failed (PostgreSQL): {FirstLine(e.Message)}";
            if (e.InnerException is null) break;
        }
        return "Storage failed (PostgreSQL) on the silo that served this request's grain; that silo's log has the details.";
    }

    /// <summary>The first line of a message, without the inner exception Orleans appends to its own ones.</summary>
    private static string FirstLine(string message)
    {
        var end = message.IndexOfAny(['\r', '\n']);
        if (end >= 0) message = message[..end];
        var inner = message.IndexOf(" ---> ", StringComparison.Ordinal);
        if (inner >= 0) message = message[..inner];
        return message.Length <= 500 ? message : message[..500] + "...";
    }

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
