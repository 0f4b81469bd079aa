using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OrleansConnect.Tests.Infrastructure;

namespace OrleansConnect.Tests.Contract;

/// <summary>One HTTP answer: status, raw text, parsed JSON (null when empty) and headers.</summary>
public sealed record Reply(int Status, string Text, JsonNode? Json, HttpResponseHeaders Headers, string? ContentType)
{
    public JsonObject Object => Json as JsonObject ?? throw new Xunit.Sdk.XunitException($"Expected a JSON object, got {Status}: {Text}");
    public JsonArray Array => Json as JsonArray ?? throw new Xunit.Sdk.XunitException($"Expected a JSON array, got {Status}: {Text}");
    public override string ToString() => $"{Status} {Text}";
}

/// <summary>Raw requests to the Connect REST API and the assertions every contract test shares.</summary>
public static class ContractHttp
{
    public const string Json = "application/json";

    /// <summary>Sends a request; a body is sent with <paramref name="contentType"/> (null: no Content-Type header).</summary>
    public static async Task<Reply> SendAsync(this HttpClient client, HttpMethod method, string path, string? body = null, string? contentType = Json)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            if (contentType is not null) request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        JsonNode? json = null;
        if (!string.IsNullOrWhiteSpace(text))
        {
            try { json = JsonNode.Parse(text); }
            catch (JsonException) { }
        }
        return new Reply((int)response.StatusCode, text, json, response.Headers, response.Content.Headers.ContentType?.MediaType);
    }

    public static Task<Reply> Get(this HttpClient client, string path) => client.SendAsync(HttpMethod.Get, path);
    public static Task<Reply> Post(this HttpClient client, string path, string? body = null) => client.SendAsync(HttpMethod.Post, path, body);
    public static Task<Reply> Put(this HttpClient client, string path, string? body = null) => client.SendAsync(HttpMethod.Put, path, body);
    public static Task<Reply> Patch(this HttpClient client, string path, string? body = null) => client.SendAsync(HttpMethod.Patch, path, body);
    public static Task<Reply> Delete(this HttpClient client, string path) => client.SendAsync(HttpMethod.Delete, path);

    /// <summary>"connectors/&lt;encoded name&gt;/..." for a connector name with any characters.</summary>
    public static string ConnectorPath(string name, string? rest = null) =>
        "connectors/" + Uri.EscapeDataString(name) + (rest is null ? "" : "/" + rest);

    /// <summary>Connect's error body: exactly {"error_code": status, "message": ...}.</summary>
    public static void AssertError(Reply reply, int status, string? message = null)
    {
        Assert.True(reply.Status == status, $"Expected {status}, got {reply}");
        var body = reply.Object;
        Assert.Equal(2, body.Count);
        Assert.Equal(status, (int?)body["error_code"]);
        Assert.True(body.ContainsKey("message"), reply.Text);
        if (message is not null) Assert.Equal(message, (string?)body["message"]);
    }

    public static void AssertStatus(Reply reply, int status) => Assert.True(reply.Status == status, $"Expected {status}, got {reply}");

    /// <summary>Creates a connector with POST and checks the 201.</summary>
    public static async Task<Reply> CreateAsync(this HttpClient client, string name, IDictionary<string, string> config, string? initialState = null)
    {
        var body = new JsonObject { ["name"] = name, ["config"] = JsonSerializer.SerializeToNode(config) };
        if (initialState is not null) body["initial_state"] = initialState;
        var reply = await client.Post("connectors", body.ToJsonString());
        AssertStatus(reply, 201);
        return reply;
    }

    /// <summary>Polls the status until it satisfies <paramref name="done"/>.</summary>
    public static Task<JsonNode> WaitForStatusAsync(this HttpClient client, string name, Func<JsonNode, bool> done, string what, TimeSpan? timeout = null) =>
        Eventually.Until(async () => (await client.Get(ConnectorPath(name, "status"))).Json!, s => s is not null && done(s),
            timeout ?? TimeSpan.FromSeconds(30), s => $"{name}: {what}; last status {s?.ToJsonString() ?? "none"}");

    /// <summary>Waits until the connector has the state and exactly <paramref name="tasks"/> tasks, all in
    /// <paramref name="taskState"/> (the connector's state when null).</summary>
    public static Task<JsonNode> WaitForStateAsync(this HttpClient client, string name, string state, int tasks, string? taskState = null) =>
        client.WaitForStatusAsync(name, s => (string?)s["connector"]?["state"] == state
            && s["tasks"] is JsonArray list && list.Count == tasks && list.All(t => (string?)t!["state"] == (taskState ?? state)),
            $"{state} with {tasks} tasks {taskState ?? state}");

    public static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];
}
