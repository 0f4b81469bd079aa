using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OrleansConnect.Api.Logging;

/// <summary>One access-log line per request, as Kafka Connect's RestServer writes it (Jetty's CustomRequestLog with
/// EXTENDED_NCSA_FORMAT + " %{ms}T", logged at INFO):
/// <c>127.0.0.1 - - [04/Dec/2026:22:49:41 +0000] "GET /connectors HTTP/1.1" 200 2 "-" "curl/8.5.0" 3</c>
/// (client address, user, time, request line, status, body bytes sent, referer, user agent, milliseconds). Every
/// part is also a structured field. Logged under <see cref="Category"/>; silence it there.</summary>
internal sealed partial class RequestLogMiddleware(RequestDelegate next, ILoggerFactory loggers, TimeProvider time)
{
    public const string Category = "OrleansConnect.Api.RequestLog";

    private readonly ILogger _log = loggers.CreateLogger(Category);

    public async Task InvokeAsync(HttpContext context)
    {
        if (!_log.IsEnabled(LogLevel.Information))
        {
            await next(context);
            return;
        }
        var started = time.GetTimestamp();
        var received = time.GetUtcNow();
        var response = context.Response;
        var body = response.Body;
        var counting = new CountingStream(body);
        response.Body = counting;
        try
        {
            await next(context);
        }
        finally
        {
            response.Body = body;
            var request = context.Request;
            var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? request.Path + request.QueryString;
            Access(_log,
                context.Connection.RemoteIpAddress?.ToString() ?? "-",
                context.User.Identity?.Name ?? "-",
                received.ToString("dd/MMM/yyyy:HH:mm:ss +0000", CultureInfo.InvariantCulture),
                request.Method, target, request.Protocol,
                response.StatusCode,
                counting.Written,
                Header(request, "Referer"), Header(request, "User-Agent"),
                (long)time.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    private static string Header(HttpRequest request, string name) =>
        request.Headers.TryGetValue(name, out var value) && value.Count > 0 ? value.ToString() : "-";

    [LoggerMessage(EventId = 100, Level = LogLevel.Information,
        Message = "{Client} - {User} [{Time}] \"{Method} {Target} {Protocol}\" {Status} {Bytes} \"{Referer}\" \"{UserAgent}\" {ElapsedMs}")]
    private static partial void Access(ILogger log, string client, string user, string time, string method, string target, string protocol,
        int status, long bytes, string referer, string userAgent, long elapsedMs);

    /// <summary>Counts the body bytes written through it (Jetty's %O: bytes of content sent).</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        public long Written { get; private set; }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            inner.Write(buffer, offset, count);
            Written += count;
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await inner.WriteAsync(buffer, cancellationToken);
            Written += buffer.Length;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }
}

/// <summary>ASP.NET Core logs five INFO lines per request (request starting, endpoint executing, result, endpoint
/// executed, request finished); the access log replaces them. Its rule is put first, so a level configured for
/// Microsoft.AspNetCore (Logging:LogLevel) or set through /admin/loggers still wins.</summary>
internal sealed class QuietFrameworkLogs : IConfigureOptions<LoggerFilterOptions>
{
    public const string Namespace = "Microsoft.AspNetCore";

    public void Configure(LoggerFilterOptions options) =>
        options.Rules.Insert(0, new LoggerFilterRule(null, Namespace, LogLevel.Warning, null));
}
