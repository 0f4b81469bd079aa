using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace OrleansConnect.Api.Http;

/// <summary>Recovers a name from its path segment exactly as the client percent-encoded it. The server decodes
/// every escape in the path except %2F, so a route value that still holds '%' is ambiguous ("a%2Fb" may be the
/// name "a/b" or the name "a%2Fb" sent as a%252Fb); the raw request target settles it.</summary>
internal static class RouteNames
{
    /// <param name="segmentIndex">Index of the segment in the route, after the path base ("connectors/{c}" → 1).</param>
    public static string Decode(HttpContext context, string routeValue, int segmentIndex)
    {
        if (!routeValue.Contains('%'))
            return routeValue;

        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(rawTarget))
            return routeValue;

        var path = rawTarget;
        var query = path.IndexOf('?');
        if (query >= 0)
            path = path[..query];
        // Absolute-form request target (a proxy-style "http://host/path"): keep only the path.
        var scheme = path.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            var pathStart = path.IndexOf('/', scheme + 3);
            path = pathStart >= 0 ? path[pathStart..] : "/";
        }

        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var baseSegments = context.Request.PathBase.HasValue
            ? context.Request.PathBase.Value!.Split('/', StringSplitOptions.RemoveEmptyEntries).Length
            : 0;
        var index = baseSegments + segmentIndex;
        return index < segments.Length ? Uri.UnescapeDataString(segments[index]) : routeValue;
    }
}
