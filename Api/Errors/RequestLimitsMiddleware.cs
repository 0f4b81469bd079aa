using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace OrleansConnect.Api.Errors;

/// <summary>The product's request limits (<see cref="ConnectApiOptions"/>), enforced here so that the answer carries
/// Connect's error body. Kestrel's own limits are set well above these (see ConnectApi.AddConnectApi): Kestrel
/// rejects before any middleware runs and writes no body, so only requests far beyond these limits reach that path
/// (<see cref="KestrelRejectionBodies"/> gives those a body too).</summary>
internal sealed class RequestLimitsMiddleware(RequestDelegate next, IOptions<ConnectApiOptions> options)
{
    public Task InvokeAsync(HttpContext context)
    {
        var limits = options.Value;
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? "";
        if (target.Length > limits.MaxRequestTargetBytes)
        {
            return ErrorResponses.WriteAsync(context.Response, StatusCodes.Status414UriTooLong, string.Create(CultureInfo.InvariantCulture,
                $"URI too long: {target.Length} bytes, the limit is {limits.MaxRequestTargetBytes}."));
        }

        // Counted as Kestrel counts header bytes: name and value of every header line.
        long headerBytes = 0;
        var headerCount = 0;
        foreach (var (name, values) in context.Request.Headers)
        {
            foreach (var value in values)
            {
                headerBytes += name.Length + (value?.Length ?? 0);
                headerCount++;
            }
        }
        if (headerBytes > limits.MaxRequestHeadersBytes || headerCount > limits.MaxRequestHeaderCount)
        {
            return ErrorResponses.WriteAsync(context.Response, StatusCodes.Status431RequestHeaderFieldsTooLarge, string.Create(CultureInfo.InvariantCulture,
                $"Request headers too large: {headerBytes} bytes in {headerCount} headers, the limits are {limits.MaxRequestHeadersBytes} bytes and {limits.MaxRequestHeaderCount} headers."));
        }

        // A declared length over the limit is refused before any endpoint runs (also those that do not read bodies);
        // a chunked body is stopped by Kestrel's MaxRequestBodySize while it is read, which maps to the same 413.
        if (context.Request.ContentLength > limits.MaxRequestBodyBytes)
        {
            context.Response.Headers.Connection = "close";
            return ErrorResponses.WriteAsync(context.Response, StatusCodes.Status413PayloadTooLarge, string.Create(CultureInfo.InvariantCulture,
                $"Request body too large. The max request body size is {limits.MaxRequestBodyBytes} bytes."));
        }
        return next(context);
    }
}
