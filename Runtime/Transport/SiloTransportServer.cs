using System.Net;
using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrleansConnect.Runtime.Calls;
using OrleansConnect.Runtime.GrainTypes;
using OrleansConnect.Runtime.Hosting;
using OrleansConnect.Runtime.Reminders;

namespace OrleansConnect.Runtime.Transport;

/// <summary>The silo-to-silo endpoint: Kestrel on <see cref="GrainRuntimeOptions.SiloPort"/>, HTTP/2 without TLS,
/// one route (POST /oc/silo). Every request and answer is HMAC-signed with the cluster secret; a request for
/// another silo (stale address) is refused with 421, and one that arrives while this silo is not serving with 503.</summary>
internal sealed partial class SiloTransportServer(
    GrainRuntimeOptions options,
    MessageSigner signer,
    GrainTypeRegistry registry,
    GrainCallDispatcher dispatcher,
    SiloStatus status,
    LocalReminderService reminders,
    RuntimeLogging logging) : IAsyncDisposable
{
    private const int MaxBodyBytes = 64 * 1024 * 1024;
    private readonly ILogger _logger = logging.CreateLogger<SiloTransportServer>();
    private WebApplication? _app;

    /// <summary>The bound port (differs from the option when that is 0).</summary>
    public int Port { get; private set; }

    /// <summary>False while the silo was declared dead and has not rejoined: it must not take calls.</summary>
    public volatile bool Accepting = true;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddSingleton(logging.Factory);
        builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = MaxBodyBytes;
            kestrel.AddServerHeader = false;
            kestrel.ListenAnyIP(options.SiloPort, listen => listen.Protocols = HttpProtocols.Http2);
        });
        var app = builder.Build();
        app.Run(HandleAsync);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException(
                $"Silo {options.SiloId} cannot listen on silo port {options.SiloPort} (GrainRuntimeOptions.SiloPort): {ex.Message}", ex);
        }
        _app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        Port = address is not null && Uri.TryCreate(address.Replace("[::]", "localhost", StringComparison.Ordinal), UriKind.Absolute, out var uri)
            ? uri.Port : options.SiloPort;
        LogListening(_logger, options.SiloId, Port);
    }

    public async Task StopAsync()
    {
        if (_app is not { } app) return;
        _app = null;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await app.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Connections still open after the grace period are cut.
        }
        await app.DisposeAsync().ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    private async Task HandleAsync(HttpContext context)
    {
        if (context.Request.Path != SiloTransportClient.Path || !HttpMethods.IsPost(context.Request.Method))
        {
            await TextAsync(context, StatusCodes.Status404NotFound, "Not a silo endpoint.").ConfigureAwait(false);
            return;
        }
        byte[] body;
        using (var buffer = new MemoryStream())
        {
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
            body = buffer.ToArray();
        }
        var invalid = signer.Verify(context.Request.Headers[MessageSigner.TimestampHeader], context.Request.Headers[MessageSigner.SignatureHeader], body);
        if (invalid is not null)
        {
            LogRejected(_logger, context.Connection.RemoteIpAddress?.ToString() ?? "?", invalid);
            await TextAsync(context, StatusCodes.Status401Unauthorized, $"Not authenticated: {invalid}.").ConfigureAwait(false);
            return;
        }
        SiloRequest? request;
        try
        {
            request = JsonSerializer.Deserialize<SiloRequest>(body, options.StateSerializerOptions);
        }
        catch (JsonException ex)
        {
            await TextAsync(context, StatusCodes.Status400BadRequest, $"Malformed request: {ex.Message}").ConfigureAwait(false);
            return;
        }
        if (request is null)
        {
            await TextAsync(context, StatusCodes.Status400BadRequest, "Empty request.").ConfigureAwait(false);
            return;
        }
        if (request.TargetSilo != options.SiloId)
        {
            await TextAsync(context, StatusCodes.Status421MisdirectedRequest,
                $"This is silo {options.SiloId}, not {request.TargetSilo}.").ConfigureAwait(false);
            return;
        }
        if (!Accepting || status.Phase is not (SiloPhase.Running or SiloPhase.Stopping))
        {
            await TextAsync(context, StatusCodes.Status503ServiceUnavailable,
                $"Silo {options.SiloId} is not serving calls now ({(Accepting ? status.Phase.ToString() : "rejoining the cluster")}).").ConfigureAwait(false);
            return;
        }

        SiloResponse response;
        switch (request.Kind)
        {
            case "reminders":
                reminders.RequestRefresh();
                response = new SiloResponse();
                break;
            case "call":
            case "activate":
                var prepared = Prepare(request, out var problem);
                if (prepared is null)
                {
                    await TextAsync(context, StatusCodes.Status400BadRequest, problem!).ConfigureAwait(false);
                    return;
                }
                response = await InvokeAsync(request, prepared.Value).ConfigureAwait(false);
                break;
            default:
                await TextAsync(context, StatusCodes.Status400BadRequest, $"Unknown request kind '{request.Kind}'.").ConfigureAwait(false);
                return;
        }

        var answer = JsonSerializer.SerializeToUtf8Bytes(response, options.StateSerializerOptions);
        var (timestamp, signature) = signer.Sign(answer);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        context.Response.Headers[MessageSigner.TimestampHeader] = timestamp;
        context.Response.Headers[MessageSigner.SignatureHeader] = signature;
        await context.Response.Body.WriteAsync(answer, context.RequestAborted).ConfigureAwait(false);
    }

    private (GrainTypeInfo Type, MethodInfo? Method, object?[] Arguments)? Prepare(SiloRequest request, out string? problem)
    {
        problem = null;
        var type = registry.FindByGrainType(request.GrainType);
        if (type is null)
        {
            problem = $"Silo {options.SiloId} has no grain interface {request.GrainType} (do all silos run the same grain assemblies?).";
            return null;
        }
        if (request.Kind == "activate") return (type, null, []);
        var method = GrainMethodCodec.Find(type.InterfaceType, request.MethodType, request.Method, request.ParameterTypes)
            // Reminders are delivered through IRemindable, which the grain class implements, not its grain interface.
            ?? (type.IsRemindable ? GrainMethodCodec.Find(typeof(IRemindable), request.MethodType, request.Method, request.ParameterTypes) : null);
        if (method is null)
        {
            problem = $"Grain interface {request.GrainType} on silo {options.SiloId} has no method {request.MethodType}.{request.Method}({string.Join(", ", request.ParameterTypes)}).";
            return null;
        }
        var parameters = method.GetParameters();
        if (parameters.Length != request.Arguments.Count)
        {
            problem = $"{request.Method} takes {parameters.Length} arguments, the request has {request.Arguments.Count}.";
            return null;
        }
        var arguments = new object?[parameters.Length];
        try
        {
            for (var i = 0; i < parameters.Length; i++)
                arguments[i] = request.Arguments[i].Deserialize(parameters[i].ParameterType, options.StateSerializerOptions);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException)
        {
            problem = $"Arguments of {request.Method} cannot be read: {ex.Message}";
            return null;
        }
        return (type, method, arguments);
    }

    private async Task<SiloResponse> InvokeAsync(SiloRequest request, (GrainTypeInfo Type, MethodInfo? Method, object?[] Arguments) call)
    {
        var grainId = new GrainId(request.GrainType, request.GrainKey);
        try
        {
            if (call.Method is null)
            {
                await dispatcher.ActivateForwardedAsync(grainId, call.Type, request.Hops).ConfigureAwait(false);
                return new SiloResponse();
            }
            var method = registry.GetMethod(call.Method);
            var result = await dispatcher.InvokeForwardedAsync(grainId, call.Type, method, call.Arguments, request.Hops).ConfigureAwait(false);
            var resultType = call.Method.ReturnType.IsGenericType ? call.Method.ReturnType.GetGenericArguments()[0] : null;
            return new SiloResponse
            {
                Result = resultType is null ? null : JsonSerializer.SerializeToElement(result, resultType, options.StateSerializerOptions),
            };
        }
        catch (Exception ex)
        {
            return new SiloResponse { Error = RemoteExceptionCodec.Encode(ex, options.StateSerializerOptions) };
        }
    }

    private static async Task TextAsync(HttpContext context, int statusCode, string text)
    {
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(text, context.RequestAborted).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo {SiloId} accepts silo-to-silo calls on port {Port} (HTTP/2)")]
    private static partial void LogListening(ILogger logger, string siloId, int port);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a silo-to-silo request from {Remote}: {Reason}")]
    private static partial void LogRejected(ILogger logger, string remote, string reason);
}
