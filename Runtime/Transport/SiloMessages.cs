using System.Text.Json;

namespace OrleansConnect.Runtime.Transport;

/// <summary>What one silo asks another (JSON body of POST /oc/silo).</summary>
internal sealed class SiloRequest
{
    /// <summary>"call", "activate" (make sure the grain is active) or "reminders" (re-read the reminder table).</summary>
    public string Kind { get; set; } = "call";
    public string TargetSilo { get; set; } = "";
    public string GrainType { get; set; } = "";
    public string GrainKey { get; set; } = "";
    /// <summary>Full name of the interface declaring the method.</summary>
    public string MethodType { get; set; } = "";
    public string Method { get; set; } = "";
    public List<string> ParameterTypes { get; set; } = [];
    public List<JsonElement> Arguments { get; set; } = [];
    /// <summary>How many silos forwarded this call already (bounded, so stale directory views cannot loop).</summary>
    public int Hops { get; set; }
}

/// <summary>The answer: a result, or the grain's exception.</summary>
internal sealed class SiloResponse
{
    public JsonElement? Result { get; set; }
    public RemoteError? Error { get; set; }
}

internal sealed class RemoteError
{
    public string Type { get; set; } = "";
    public string Message { get; set; } = "";
    /// <summary>Simple public properties of the exception (e.g. a status code), used to rebuild it.</summary>
    public Dictionary<string, JsonElement> Properties { get; set; } = [];
}
