using System.Net;
using System.Reflection;
using System.Text.Json;
using OrleansConnect.Runtime.Calls;
using OrleansConnect.Runtime.Membership;

namespace OrleansConnect.Runtime.Transport;

/// <summary>Silo-to-silo calls over HTTP/2 (cleartext, one multiplexed connection per peer): JSON arguments and
/// results, HMAC-signed both ways, bounded by <see cref="GrainRuntimeOptions.CallTimeout"/>. Transport failures
/// surface as <see cref="SiloUnavailableException"/> (or <see cref="TimeoutException"/>) naming the silo.</summary>
internal sealed class SiloTransportClient : IRemoteGrainInvoker, IDisposable
{
    public const string Path = "/oc/silo";

    private readonly HttpClient _http;
    private readonly ClusterMembership _membership;
    private readonly GrainRuntimeOptions _options;
    private readonly MessageSigner _signer;
    // Cancelled when the incarnation is declared dead: calls in flight to a paused or cut-off silo fail at once
    // instead of waiting for the call timeout (which would also hold up the calling grain's turn).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string SiloId, long Generation), CancellationTokenSource> _peers = new();

    public SiloTransportClient(ClusterMembership membership, GrainRuntimeOptions options, MessageSigner signer)
    {
        _membership = membership;
        _options = options;
        _signer = signer;
        _membership.Changed += OnMembershipChanged;
        _http = new HttpClient(new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
            UseProxy = false,
        })
        {
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    private JsonSerializerOptions Json => _options.StateSerializerOptions;

    public Task<object?> InvokeAsync(string siloId, GrainId grainId, MethodInfo method, object?[] arguments, CancellationToken cancellationToken) =>
        CallAsync(siloId, grainId, method, arguments, hops: 0, cancellationToken);

    public async Task<object?> CallAsync(string siloId, GrainId grainId, MethodInfo method, object?[] arguments, int hops,
        CancellationToken cancellationToken)
    {
        var parameters = method.GetParameters();
        if (parameters.Length != arguments.Length)
            throw new ArgumentException($"{method.Name} takes {parameters.Length} arguments, not {arguments.Length}.", nameof(arguments));
        var request = new SiloRequest
        {
            Kind = "call",
            GrainType = grainId.Type,
            GrainKey = grainId.Key,
            MethodType = GrainMethodCodec.TypeName(method.DeclaringType!),
            Method = method.Name,
            ParameterTypes = parameters.Select(p => GrainMethodCodec.TypeName(p.ParameterType)).ToList(),
            Arguments = parameters.Select((p, i) => JsonSerializer.SerializeToElement(arguments[i], p.ParameterType, Json)).ToList(),
            Hops = hops,
        };
        var response = await SendAsync(siloId, request, $"{method.DeclaringType?.Name}.{method.Name} on grain {grainId}", cancellationToken).ConfigureAwait(false);
        if (response.Error is { } error) throw RemoteExceptionCodec.Decode(error, Json);
        var returnType = method.ReturnType;
        if (!returnType.IsGenericType) return null;
        var resultType = returnType.GetGenericArguments()[0];
        return response.Result is { } result ? result.Deserialize(resultType, Json) : null;
    }

    /// <summary>Makes sure <paramref name="grainId"/> is active (on <paramref name="siloId"/>, unless it lives elsewhere already).</summary>
    public async Task ActivateAsync(string siloId, GrainId grainId, int hops, CancellationToken cancellationToken)
    {
        var request = new SiloRequest { Kind = "activate", GrainType = grainId.Type, GrainKey = grainId.Key, Hops = hops };
        var response = await SendAsync(siloId, request, $"activation of grain {grainId}", cancellationToken).ConfigureAwait(false);
        if (response.Error is { } error) throw RemoteExceptionCodec.Decode(error, Json);
    }

    /// <summary>Tells <paramref name="siloId"/> that the reminder table changed for a reminder it owns.</summary>
    public async Task NotifyRemindersChangedAsync(string siloId, CancellationToken cancellationToken) =>
        await SendAsync(siloId, new SiloRequest { Kind = "reminders" }, "reminder refresh", cancellationToken).ConfigureAwait(false);

    private async Task<SiloResponse> SendAsync(string siloId, SiloRequest request, string what, CancellationToken cancellationToken)
    {
        var silo = _membership.FindLive(siloId) ?? throw new SiloUnavailableException(
            $"Cannot deliver {what}: silo {siloId} is not a live member of cluster {_options.ServiceId}.");
        request.TargetSilo = siloId;
        var body = JsonSerializer.SerializeToUtf8Bytes(request, Json);
        var (timestamp, signature) = _signer.Sign(body);
        using var message = new HttpRequestMessage(HttpMethod.Post, $"http://{silo.Address}{Path}") 
        {
            Content = new ByteArrayContent(body),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        message.Content.Headers.ContentType = new("application/json");
        message.Headers.Add(MessageSigner.TimestampHeader, timestamp);
        message.Headers.Add(MessageSigner.SignatureHeader, signature);

        var died = _peers.GetOrAdd((silo.SiloId, silo.Generation), _ => new CancellationTokenSource()).Token;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, died);
        if (_options.CallTimeout != Timeout.InfiniteTimeSpan) timeout.CancelAfter(_options.CallTimeout);
        try
        {
            using var response = await _http.SendAsync(message, timeout.Token).ConfigureAwait(false);
            var content = await response.Content.ReadAsByteArrayAsync(timeout.Token).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                var text = System.Text.Encoding.UTF8.GetString(content);
                var problem = $"Silo {siloId} ({silo.Address}) refused {what}: {(int)response.StatusCode} {text}";
                throw response.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.MisdirectedRequest or HttpStatusCode.Unauthorized
                    ? new SiloUnavailableException(problem)
                    : new InvalidOperationException(problem);
            }
            var invalid = _signer.Verify(
                response.Headers.TryGetValues(MessageSigner.TimestampHeader, out var ts) ? ts.FirstOrDefault() : null,
                response.Headers.TryGetValues(MessageSigner.SignatureHeader, out var sig) ? sig.FirstOrDefault() : null,
                content);
            if (invalid is not null)
                throw new SiloUnavailableException($"The answer of silo {siloId} ({silo.Address}) to {what} is not authentic: {invalid}.");
            return JsonSerializer.Deserialize<SiloResponse>(content, Json)
                ?? throw new InvalidOperationException($"Silo {siloId} sent an empty answer to {what}.");
        }
        catch (OperationCanceledException) when (died.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new SiloUnavailableException($"Silo {siloId} ({silo.Address}) was declared dead while {what} was in flight.");
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Silo {siloId} ({silo.Address}) did not answer {what} within {_options.CallTimeout}.");
        }
        catch (HttpRequestException ex)
        {
            throw new SiloUnavailableException($"Silo {siloId} ({silo.Address}) is unreachable for {what}: {ex.Message}", ex);
        }
    }

    private void OnMembershipChanged(MembershipChange change)
    {
        foreach (var dead in change.Died)
            if (_peers.TryRemove((dead.SiloId, dead.Generation), out var cts))
                cts.Cancel(); // not disposed: a call may be linking its token right now
    }

    public void Dispose()
    {
        _membership.Changed -= OnMembershipChanged;
        _http.Dispose();
    }
}
