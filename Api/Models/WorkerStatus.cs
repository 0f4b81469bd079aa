using System.Text.Json.Serialization;

namespace OrleansConnect.Api.Models;

/// <summary>Connect's WorkerStatus, the body of GET /health.</summary>
public sealed record WorkerStatus(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("message")] string Message)
{
    public static WorkerStatus Healthy() =>
        new("healthy", "Worker has completed startup and is ready to handle requests.");

    public static WorkerStatus Starting(string? detail = null) =>
        new("starting", Append("Worker is still starting up.", detail));

    public static WorkerStatus Unhealthy(string? detail = null) =>
        new("unhealthy", Append("Worker was unable to handle this request and may be unable to handle other requests.", detail));

    private static string Append(string message, string? detail) =>
        string.IsNullOrEmpty(detail) ? message : message + " " + detail;
}
