using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using OrleansConnect.Tests.Infrastructure;
using static OrleansConnect.Tests.Contract.ContractHttp;

namespace OrleansConnect.Tests.Contract;

/// <summary>Server-level errors carry Connect's body too: 414 for a long URI, 431 for large headers, 413 for a large
/// body and 400 for a NUL in the path, both where the product's limits apply (8 KiB target, 32 KiB / 100 headers,
/// 30 MB body) and far beyond them where Kestrel itself rejects the request. Sent over raw sockets, as a client
/// that does not check what it sends would.</summary>
[Collection(BrokerCollection.Name)]
public sealed class ServerLimitsContractTests(TestBroker broker, ServerLimitsContractTests.Silo silo)
    : IClassFixture<ServerLimitsContractTests.Silo>, IAsyncLifetime
{
    public sealed class Silo : ContractSilo;

    public Task InitializeAsync() => silo.StartAsync(broker);

    public Task DisposeAsync() => Task.CompletedTask;

    private sealed record RawResponse(int Status, Dictionary<string, string> Headers, string Body)
    {
        public JsonObject Json => JsonNode.Parse(Body) as JsonObject ?? throw new Xunit.Sdk.XunitException($"Not a JSON object: {Body}");
    }

    /// <summary>Sends raw request bytes and reads every response until the server closes the connection.</summary>
    private async Task<List<RawResponse>> SendRawAsync(string request)
    {
        using var client = new TcpClient();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await client.ConnectAsync("127.0.0.1", silo.Process.Port, cts.Token);
        var stream = client.GetStream();
        try
        {
            await stream.WriteAsync(Encoding.Latin1.GetBytes(request), cts.Token);
        }
        catch (IOException)
        {
            // The server may answer and close before it read everything sent; the answer is still there to read.
        }
        var received = new MemoryStream();
        var buffer = new byte[8192];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, cts.Token)) > 0) received.Write(buffer, 0, read);
        }
        catch (IOException) when (received.Length > 0)
        {
            // A reset after the answer (unread request bytes left behind) ends the read.
        }
        return Parse(Encoding.UTF8.GetString(received.ToArray()));
    }

    private static List<RawResponse> Parse(string text)
    {
        var responses = new List<RawResponse>();
        var at = 0;
        while (at < text.Length)
        {
            var headEnd = text.IndexOf("\r\n\r\n", at, StringComparison.Ordinal);
            Assert.True(headEnd > 0, $"Incomplete response: {text[at..]}");
            var lines = text[at..headEnd].Split("\r\n");
            var status = int.Parse(lines[0].Split(' ')[1]);
            var headers = lines.Skip(1).Select(l => l.Split(": ", 2)).ToDictionary(p => p[0], p => p[1], StringComparer.OrdinalIgnoreCase);
            var bodyStart = headEnd + 4;
            string body;
            if (headers.TryGetValue("Content-Length", out var length))
            {
                body = text.Substring(bodyStart, int.Parse(length));
                at = bodyStart + body.Length;
            }
            else if (headers.TryGetValue("Transfer-Encoding", out var te) && te == "chunked")
            {
                var sb = new StringBuilder();
                at = bodyStart;
                while (true)
                {
                    var lineEnd = text.IndexOf("\r\n", at, StringComparison.Ordinal);
                    var size = Convert.ToInt32(text[at..lineEnd], 16);
                    at = lineEnd + 2;
                    if (size == 0) { at += 2; break; }
                    sb.Append(text, at, size);
                    at += size + 2;
                }
                body = sb.ToString();
            }
            else
            {
                body = text[bodyStart..];
                at = text.Length;
            }
            responses.Add(new RawResponse(status, headers, body));
        }
        return responses;
    }

    private static void AssertConnectError(RawResponse response, int status, string? message = null)
    {
        Assert.True(response.Status == status, $"Expected {status}, got {response}");
        Assert.StartsWith("application/json", response.Headers["Content-Type"]);
        var json = response.Json;
        Assert.Equal(2, json.Count);
        Assert.Equal(status, (int?)json["error_code"]);
        if (message is not null) Assert.Equal(message, (string?)json["message"]);
        else Assert.False(string.IsNullOrEmpty((string?)json["message"]));
    }

    private static string Get(string target, string extraHeaders = "") =>
        $"GET {target} HTTP/1.1\r\nHost: localhost\r\n{extraHeaders}Connection: close\r\n\r\n";

    [Fact]
    public async Task A_uri_over_8_KiB_is_414_with_the_error_body()
    {
        var target = "/connectors/" + new string('a', 9000);
        AssertConnectError(Assert.Single(await SendRawAsync(Get(target))), 414,
            $"URI too long: {target.Length} bytes, the limit is 8192.");
        // Just under the limit the request is served: an unknown connector.
        var served = Assert.Single(await SendRawAsync(Get("/connectors/" + new string('a', 8000))));
        AssertConnectError(served, 404);
    }

    [Fact]
    public async Task A_uri_beyond_what_Kestrel_reads_is_414_with_the_error_body_too()
    {
        AssertConnectError(Assert.Single(await SendRawAsync(Get("/connectors/" + new string('a', 70_000)))), 414, "HTTP 414 URI Too Long");
    }

    [Fact]
    public async Task Headers_over_32_KiB_or_100_headers_are_431_with_the_error_body()
    {
        var big = await SendRawAsync(Get("/connectors", $"X-Big: {new string('h', 40_000)}\r\n"));
        AssertConnectError(Assert.Single(big), 431);
        Assert.StartsWith("Request headers too large: ", (string?)big[0].Json["message"]);

        var many = string.Concat(Enumerable.Range(0, 150).Select(i => $"X-H{i}: v\r\n"));
        AssertConnectError(Assert.Single(await SendRawAsync(Get("/connectors", many))), 431);

        // Far beyond: Kestrel's own rejection, given the body by the connection middleware.
        AssertConnectError(Assert.Single(await SendRawAsync(Get("/connectors", $"X-Huge: {new string('h', 300_000)}\r\n"))),
            431, "HTTP 431 Request Header Fields Too Large");
    }

    [Fact]
    public async Task A_nul_in_the_path_is_400_with_the_error_body()
    {
        AssertConnectError(Assert.Single(await SendRawAsync(Get("/connectors/a%00b"))), 400, "HTTP 400 Bad Request");
        // After a request served on the same connection, the rejection still gets its body.
        var both = await SendRawAsync("GET /connectors HTTP/1.1\r\nHost: localhost\r\n\r\n" + Get("/connectors/%00"));
        Assert.Equal(2, both.Count);
        Assert.Equal(200, both[0].Status);
        Assert.Equal("[]", both[0].Body);
        AssertConnectError(both[1], 400, "HTTP 400 Bad Request");
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413_with_the_error_body()
    {
        const string message = "Request body too large. The max request body size is 30000000 bytes.";
        // The declared length is refused before anything is read, on endpoints that read bodies and those that do not.
        foreach (var (method, path) in new[] { ("POST", "/connectors"), ("PUT", "/connectors/x/pause") })
        {
            var request = $"{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 31000000\r\n\r\n{{}}";
            AssertConnectError(Assert.Single(await SendRawAsync(request)), 413, message);
        }

        // A chunked body is stopped while it is read.
        using var content = new StreamContent(new MemoryStream(new byte[31_000_000]));
        content.Headers.ContentType = new("application/json");
        var chunked = new HttpRequestMessage(HttpMethod.Post, "connectors") { Content = content };
        chunked.Headers.TransferEncodingChunked = true;
        var reply = await silo.Client.SendAsync(chunked);
        Assert.Equal(413, (int)reply.StatusCode);
        var json = JsonNode.Parse(await reply.Content.ReadAsStringAsync())!.AsObject();
        Assert.Equal(413, (int?)json["error_code"]);
        Assert.Equal(message, (string?)json["message"]);
    }
}
