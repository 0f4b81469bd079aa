namespace OrleansConnect.Api;

/// <summary>Settings of the REST layer (bind or configure with services.Configure&lt;ConnectApiOptions&gt;).</summary>
public sealed class ConnectApiOptions
{
    /// <summary>How long a request waits for a grain call before answering 500 "Request timed out." (Connect's
    /// REST request timeout, 90 s by default).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>How long GET /health waits for this silo's grain runtime before answering 500 unhealthy (Connect: 10 s).</summary>
    public TimeSpan HealthCheckTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Whether /admin/loggers is served. Connect serves its admin endpoints on the regular listener unless
    /// admin.listeners is set, and not at all when admin.listeners is empty: hosts set this to false then.</summary>
    public bool AdminEndpoints { get; set; } = true;

    /// <summary>How often a silo asks for cluster-scoped logger levels (PUT /admin/loggers/{name}?scope=cluster) set
    /// through another silo; such a level reaches every silo within about this long.</summary>
    public TimeSpan ClusterLoggersPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Key of the <c>IPluginsGrain</c> that lists plugins and validates configs.</summary>
    public string PluginsGrainKey { get; set; } = "local";

    /// <summary>Longest request target (path and query, as sent) answered; longer ones get 414. Kafka Connect's Jetty
    /// allows 8 KiB for the request line and headers together.</summary>
    public int MaxRequestTargetBytes { get; set; } = 8 * 1024;

    /// <summary>Most bytes of request header lines answered; more get 431 (Kestrel's default limit).</summary>
    public int MaxRequestHeadersBytes { get; set; } = 32 * 1024;

    /// <summary>Most request headers answered; more get 431 (Kestrel's default limit).</summary>
    public int MaxRequestHeaderCount { get; set; } = 100;

    /// <summary>Largest request body read; a larger one gets 413 (Kestrel's default limit).</summary>
    public long MaxRequestBodyBytes { get; set; } = 30_000_000;

    /// <summary>Where the Orleans Dashboard is served (the console links to it), or null when it is off.</summary>
    public string? DashboardPath { get; set; }
}
