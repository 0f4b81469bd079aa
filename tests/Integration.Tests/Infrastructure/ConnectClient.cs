using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OrleansConnect.Tests.Infrastructure;

/// <summary>Thin helpers over the Connect REST API for tests.</summary>
public static class ConnectClient
{
    public static async Task<(HttpStatusCode Status, JsonNode? Body)> SendAsync(this HttpClient client, HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, string.IsNullOrWhiteSpace(text) ? null : JsonNode.Parse(text));
    }

    public static async Task<JsonNode?> CreateConnectorAsync(this HttpClient client, string name, IDictionary<string, string> config)
    {
        var body = new JsonObject { ["name"] = name, ["config"] = JsonSerializer.SerializeToNode(config) };
        var (status, json) = await client.SendAsync(HttpMethod.Post, "connectors", body.ToJsonString());
        if (status != HttpStatusCode.Created) throw new InvalidOperationException($"Create {name} answered {(int)status}: {json}");
        return json;
    }

    public static async Task<JsonNode?> StatusAsync(this HttpClient client, string name)
    {
        var (status, json) = await client.SendAsync(HttpMethod.Get, $"connectors/{Uri.EscapeDataString(name)}/status");
        return status == HttpStatusCode.OK ? json : null;
    }

    /// <summary>Polls until the connector and all of its (at least minTasks) tasks have the given state.</summary>
    public static Task<JsonNode?> WaitForStateAsync(this HttpClient client, string name, string state, int minTasks, TimeSpan timeout) =>
        Eventually.Until(() => client.StatusAsync(name), s =>
            s is not null && (string?)s["connector"]?["state"] == state
            && s["tasks"]!.AsArray().Count >= minTasks
            && s["tasks"]!.AsArray().All(t => (string?)t!["state"] == state),
            timeout, s => $"{name} {state} with {minTasks} tasks; last status: {s?.ToJsonString() ?? "none"}");

    public static Task<JsonNode?> WaitForTaskStateAsync(this HttpClient client, string name, int task, string state, TimeSpan timeout) =>
        Eventually.Until(() => client.StatusAsync(name), s =>
            s is not null && s["tasks"]!.AsArray().FirstOrDefault(t => (int?)t!["id"] == task) is { } t && (string?)t["state"] == state,
            timeout, s => $"{name} task {task} {state}; last status: {s?.ToJsonString() ?? "none"}");
}
