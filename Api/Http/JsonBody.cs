using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using OrleansConnect.Grains.Interfaces.Errors;

namespace OrleansConnect.Api.Http;

/// <summary>Reads the JSON body of an endpoint that consumes JSON, answering the client's mistakes itself:
/// a non-JSON Content-Type is 415 (as Connect's JAX-RS does), a malformed or mis-shaped body is 400 with a message
/// that says what was wrong and what was expected (Connect answers 500 there; see docs/rest-api.md).</summary>
internal static class JsonBody
{
    public const string MediaType = "application/json";

    /// <summary>Absent Content-Type is accepted (Jersey matches it against any @Consumes); any other media type than
    /// application/json (parameters such as charset allowed) is 415.</summary>
    public static void RequireJsonContentType(HttpRequest request)
    {
        var contentType = request.ContentType;
        if (string.IsNullOrWhiteSpace(contentType))
            return;
        if (MediaTypeHeaderValue.TryParse(contentType, out var parsed)
            && parsed.MediaType.Equals(MediaType, StringComparison.OrdinalIgnoreCase))
            return;
        throw new ConnectRestException(StatusCodes.Status415UnsupportedMediaType, "HTTP 415 Unsupported Media Type");
    }

    /// <summary>Checks the Content-Type and reads the body. Returns null when the body is empty or the JSON literal null.</summary>
    /// <param name="expected">How the body should look, for the error message.</param>
    public static async Task<T?> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> typeInfo, string expected, CancellationToken cancellationToken)
        where T : class
    {
        RequireJsonContentType(request);

        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, cancellationToken);
        var bytes = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        if (IsBlank(bytes.Span))
            return null;

        try
        {
            return JsonSerializer.Deserialize(bytes.Span, typeInfo);
        }
        catch (JsonException e)
        {
            throw new BadRequestException(Describe(e, expected));
        }
    }

    private static bool IsBlank(ReadOnlySpan<byte> body)
    {
        foreach (var b in body)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
                return false;
        }
        return true;
    }

    internal static string Describe(JsonException e, string expected)
    {
        // A reader error (bad syntax) carries the reader's own exception; its message has the position.
        if (e.InnerException is not null)
            return $"Request body is not valid JSON: {e.InnerException.Message} Expected {expected}.";

        var at = string.IsNullOrEmpty(e.Path) ? "$" : e.Path;
        var reason = e.Message.Contains("could not be mapped", StringComparison.Ordinal)
            ? "unrecognized field"
            : e.Message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal)
                ? "unexpected JSON type"
                : e.Message; // our own converters' messages are already written for people
        return $"Invalid request body at {at}: {reason}. Expected {expected}.";
    }
}
