using OrleansConnect.Api.Security;

namespace OrleansConnect.Api.SchemaRegistry;

/// <summary>The roles of the schema registry's listener, with the REST API's users: a viewer reads, looks schemas up and
/// tests compatibility (what a consumer's deserializer needs); an operator also registers schemas (what a producer's or
/// a connector's serializer needs); an admin also deletes and changes compatibility levels and modes.</summary>
public static class SchemaRegistryRoles
{
    public static RestRole? Required(string method, string path)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (Is(method, "GET") || Is(method, "HEAD")) return RestRole.Viewer;
        if (Is(method, "POST") && segments.Length >= 1 && Is(segments[0], "compatibility")) return RestRole.Viewer;
        if (Is(method, "POST") && segments.Length == 2 && Is(segments[0], "subjects")) return RestRole.Viewer; // lookup
        if (Is(method, "POST") && segments.Length == 3 && Is(segments[0], "subjects") && Is(segments[2], "versions")) return RestRole.Operator;
        return RestRole.Admin;
    }

    private static bool Is(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
}
