using System.Buffers.Binary;
using System.Net.Sockets;

namespace OrleansConnect.Grains.Kafka;

/// <summary>The Kafka APIs a broker supports, asked with an ApiVersions request (the first request every Kafka
/// client sends). librdkafka keeps its answer to itself, so this sends one of its own: version 0, the version
/// every broker answers. It lets the runtime choose by what the broker can do, not by which broker it is.</summary>
public sealed class BrokerApiVersions
{
    /// <summary>Kafka protocol API keys the runtime asks about.</summary>
    public static class Keys
    {
        public const short OffsetCommit = 8;
        public const short DescribeGroups = 15;
        public const short DeleteGroups = 42;
        public const short OffsetDelete = 47;
        public const short ConsumerGroupHeartbeat = 68;
    }

    private const short ApiVersionsKey = 18;
    private readonly IReadOnlyDictionary<short, (short Min, short Max)> _apis;

    private BrokerApiVersions(IReadOnlyDictionary<short, (short Min, short Max)> apis) => _apis = apis;

    public bool Supports(short apiKey) => _apis.ContainsKey(apiKey);

    public IReadOnlyCollection<short> ApiKeys => _apis.Keys.ToList();

    /// <summary>Asks the first bootstrap server that answers. Returns null when the listener speaks TLS (per
    /// security.protocol) or no server answers within <paramref name="timeout"/>: callers then assume a Kafka that
    /// supports every API they use.</summary>
    public static async Task<BrokerApiVersions?> FetchAsync(string bootstrapServers, string? securityProtocol, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        var protocol = (securityProtocol ?? "plaintext").Trim().ToLowerInvariant();
        // ApiVersions is answered before SASL authentication, but not before a TLS handshake.
        if (protocol is not ("plaintext" or "sasl_plaintext")) return null;
        foreach (var server in bootstrapServers.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!TryParse(server, out var host, out var port)) continue;
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(timeout);
            try
            {
                return await AskAsync(host, port, cts.Token);
            }
            catch (Exception e) when (e is SocketException or IOException or InvalidDataException
                                          || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                // Try the next server.
            }
        }
        return null;
    }

    private static bool TryParse(string server, out string host, out int port)
    {
        var address = server.Contains("://", StringComparison.Ordinal) ? server[(server.IndexOf("://", StringComparison.Ordinal) + 3)..] : server;
        var colon = address.LastIndexOf(':');
        host = colon > 0 ? address[..colon].Trim('[', ']') : address;
        port = 9092;
        return colon < 0 || int.TryParse(address[(colon + 1)..], out port);
    }

    private static async Task<BrokerApiVersions> AskAsync(string host, int port, CancellationToken cancellationToken)
    {
        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(host, port, cancellationToken);
        var stream = client.GetStream();

        // Request: size, api key, api version 0, correlation id, client id (int16-prefixed string).
        var clientId = "orleansconnect"u8;
        var request = new byte[4 + 2 + 2 + 4 + 2 + clientId.Length];
        BinaryPrimitives.WriteInt32BigEndian(request, request.Length - 4);
        BinaryPrimitives.WriteInt16BigEndian(request.AsSpan(4), ApiVersionsKey);
        BinaryPrimitives.WriteInt16BigEndian(request.AsSpan(6), 0);
        BinaryPrimitives.WriteInt32BigEndian(request.AsSpan(8), 1);
        BinaryPrimitives.WriteInt16BigEndian(request.AsSpan(12), (short)clientId.Length);
        clientId.CopyTo(request.AsSpan(14));
        await stream.WriteAsync(request, cancellationToken);

        // Response: size, correlation id, error code, [api key, min version, max version].
        var sizeBytes = new byte[4];
        await stream.ReadExactlyAsync(sizeBytes, cancellationToken);
        var size = BinaryPrimitives.ReadInt32BigEndian(sizeBytes);
        if (size is < 10 or > 1 << 20) throw new InvalidDataException($"ApiVersions answer of {size} bytes.");
        var body = new byte[size];
        await stream.ReadExactlyAsync(body, cancellationToken);
        var error = BinaryPrimitives.ReadInt16BigEndian(body.AsSpan(4));
        if (error != 0) throw new InvalidDataException($"ApiVersions answered error {error}.");
        var count = BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(6));
        if (count < 0 || 10 + count * 6 > body.Length) throw new InvalidDataException($"ApiVersions answer lists {count} APIs in {size} bytes.");
        var apis = new Dictionary<short, (short, short)>(count);
        for (var i = 0; i < count; i++)
        {
            var at = 10 + i * 6;
            apis[BinaryPrimitives.ReadInt16BigEndian(body.AsSpan(at))] =
                (BinaryPrimitives.ReadInt16BigEndian(body.AsSpan(at + 2)), BinaryPrimitives.ReadInt16BigEndian(body.AsSpan(at + 4)));
        }
        return new BrokerApiVersions(apis);
    }
}
