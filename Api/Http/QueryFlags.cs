using Microsoft.AspNetCore.Http;

namespace OrleansConnect.Api.Http;

/// <summary>Boolean query parameters as JAX-RS reads them: absent or blank means the default, "true" in any case
/// means true, anything else means false (never an error). A repeated parameter uses its first value.</summary>
internal static class QueryFlags
{
    public static bool Get(HttpRequest request, string name, bool defaultValue)
    {
        var values = request.Query[name];
        if (values.Count == 0 || string.IsNullOrWhiteSpace(values[0]))
            return defaultValue;
        return string.Equals(values[0]!.Trim(), "true", StringComparison.OrdinalIgnoreCase);
    }
}
