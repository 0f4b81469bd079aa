using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using OrleansConnect.Api.Json;
using OrleansConnect.Api.Models;

namespace OrleansConnect.Api.Errors;

/// <summary>Writes Connect's error body {"error_code": status, "message": ...}.</summary>
internal static class ErrorResponses
{
    /// <summary>The message JAX-RS gives its own errors: "HTTP 404 Not Found", "HTTP 405 Method Not Allowed"...</summary>
    public static string HttpStatusMessage(int status)
    {
        var phrase = ReasonPhrases.GetReasonPhrase(status);
        return string.IsNullOrEmpty(phrase) ? $"HTTP {status}" : $"HTTP {status} {phrase}";
    }

    public static Task WriteAsync(HttpResponse response, int status, string? message)
    {
        response.StatusCode = status;
        response.ContentType = "application/json";
        return response.WriteAsJsonAsync(new ErrorMessage(status, message), ConnectJsonContext.Wire.ErrorMessage,
            contentType: "application/json", cancellationToken: response.HttpContext.RequestAborted);
    }
}
