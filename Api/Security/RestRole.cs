namespace OrleansConnect.Api.Security;

/// <summary>What a REST user may do. Ordered: each role includes what the roles before it may do.</summary>
public enum RestRole
{
    /// <summary>Reads only: GET and HEAD (connectors, statuses, configs, plugins, loggers, the dashboard).</summary>
    Viewer = 1,

    /// <summary>Also runs connectors as they are: pause, resume, stop, restart, offsets PATCH and DELETE, topics reset.</summary>
    Operator = 2,

    /// <summary>Everything: create, update and delete connectors, validate, loggers, transform preview.</summary>
    Admin = 3,
}

public static class RestRoles
{
    public static string Name(RestRole role) => role switch
    {
        RestRole.Viewer => "viewer",
        RestRole.Operator => "operator",
        RestRole.Admin => "admin",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, null),
    };

    public static bool TryParse(string text, out RestRole role)
    {
        switch (text)
        {
            case "viewer": role = RestRole.Viewer; return true;
            case "operator": role = RestRole.Operator; return true;
            case "admin": role = RestRole.Admin; return true;
            default: role = default; return false;
        }
    }

    /// <summary>The role a request needs, or null for a request open to everyone (GET /health, so that load balancers
    /// and orchestrators can probe without credentials). Decided from the method and the path alone, before routing,
    /// so that unknown paths, the dashboard and any later endpoint are covered too: a request not listed below needs
    /// admin unless it only reads.</summary>
    public static RestRole? Required(string method, string path)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        // Routing matches paths case-insensitively, so must this.
        if (segments.Length == 1 && Is(segments[0], "health")) return null;
        if (HttpMethodsEqual(method, "GET") || HttpMethodsEqual(method, "HEAD")) return RestRole.Viewer;
        if (segments.Length >= 3 && Is(segments[0], "connectors") && IsOperatorAction(method, segments)) return RestRole.Operator;
        return RestRole.Admin;
    }

    private static bool IsOperatorAction(string method, string[] s) => s.Length switch
    {
        // PUT /connectors/{c}/pause|resume|stop, POST /connectors/{c}/restart, PATCH|DELETE /connectors/{c}/offsets
        3 => (HttpMethodsEqual(method, "PUT") && (Is(s[2], "pause") || Is(s[2], "resume") || Is(s[2], "stop")))
             || (HttpMethodsEqual(method, "POST") && Is(s[2], "restart"))
             || ((HttpMethodsEqual(method, "PATCH") || HttpMethodsEqual(method, "DELETE")) && Is(s[2], "offsets")),
        // PUT /connectors/{c}/topics/reset
        4 => HttpMethodsEqual(method, "PUT") && Is(s[2], "topics") && Is(s[3], "reset"),
        // POST /connectors/{c}/tasks/{t}/restart
        5 => HttpMethodsEqual(method, "POST") && Is(s[2], "tasks") && Is(s[4], "restart"),
        _ => false,
    };

    private static bool Is(string segment, string name) => string.Equals(segment, name, StringComparison.OrdinalIgnoreCase);

    private static bool HttpMethodsEqual(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
}
