using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Connections;

namespace OrleansConnect.Api.Errors;

/// <summary>Gives Connect's error body to the responses Kestrel writes itself when it rejects a request before any
/// middleware runs (a NUL or other invalid byte in the path, a request line or headers beyond Kestrel's limits, a
/// malformed request, a request timeout): those leave as a status line and headers with Content-Length: 0. A
/// connection middleware sees every byte Kestrel writes; a flushed block that is exactly such a bodiless 4xx/5xx
/// response head gets <c>{"error_code": status, "message": "HTTP status Reason"}</c>. The application's own error
/// responses always have a body (ConnectErrorMiddleware), so they never match.</summary>
internal static class KestrelRejectionBodies
{
    /// <summary>Connection middleware for <c>ListenOptions.Use</c>.</summary>
    public static ConnectionDelegate Middleware(ConnectionDelegate next) => async connection =>
    {
        var transport = connection.Transport;
        var output = new RewritingWriter(transport.Output);
        connection.Transport = new Duplex(transport.Input, output);
        try
        {
            await next(connection);
        }
        finally
        {
            connection.Transport = transport;
        }
    };

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }

    /// <summary>Buffers what Kestrel writes until it flushes, then passes it on, rewritten when it is a rejection.</summary>
    private sealed class RewritingWriter(PipeWriter inner) : PipeWriter
    {
        private readonly ArrayBufferWriter<byte> _pending = new(4096);

        public override void Advance(int bytes) => _pending.Advance(bytes);

        public override Memory<byte> GetMemory(int sizeHint = 0) => _pending.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => _pending.GetSpan(sizeHint);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override bool CanGetUnflushedBytes => true;

        public override long UnflushedBytes => _pending.WrittenCount;

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            Forward();
            return inner.FlushAsync(cancellationToken);
        }

        public override void Complete(Exception? exception = null)
        {
            Forward();
            inner.Complete(exception);
        }

        public override async ValueTask CompleteAsync(Exception? exception = null)
        {
            Forward();
            await inner.CompleteAsync(exception);
        }

        private void Forward()
        {
            if (_pending.WrittenCount == 0) return;
            var written = _pending.WrittenSpan;
            if (Rewrite(written) is { } rewritten) inner.Write(rewritten);
            else inner.Write(written);
            _pending.Clear();
        }
    }

    /// <summary>The response with a Connect error body when <paramref name="block"/> is exactly a bodiless error
    /// response head ("HTTP/1.x 4xx|5xx ...", Content-Length: 0, nothing after the blank line); null otherwise.</summary>
    internal static byte[]? Rewrite(ReadOnlySpan<byte> block)
    {
        // A rejection head is a few hundred bytes; anything bigger is passed on as it is.
        if (block.Length > 1024 || block.Length < 16 || !block.StartsWith("HTTP/1."u8) || block[8] != (byte)' ') return null;
        if (!block.EndsWith("\r\n\r\n"u8) || block.IndexOf("\r\n\r\n"u8) != block.Length - 4) return null;
        if (!int.TryParse(block.Slice(9, 3), NumberStyles.None, CultureInfo.InvariantCulture, out var status) || status < 400) return null;
        var head = Encoding.Latin1.GetString(block[..^4]);
        const string emptyLength = "\r\nContent-Length: 0";
        var lengthAt = head.IndexOf(emptyLength, StringComparison.OrdinalIgnoreCase);
        if (lengthAt < 0 || (lengthAt + emptyLength.Length < head.Length && head[lengthAt + emptyLength.Length] != '\r')
            || head.Contains("\r\nContent-Type:", StringComparison.OrdinalIgnoreCase)) return null;

        var body = Encoding.UTF8.GetBytes("{\"error_code\":" + status.ToString(CultureInfo.InvariantCulture) +
                                          ",\"message\":\"" + ErrorResponses.HttpStatusMessage(status) + "\"}");
        var rewrittenHead = head[..lengthAt] + "\r\nContent-Type: application/json\r\nContent-Length: " +
                            body.Length.ToString(CultureInfo.InvariantCulture) + head[(lengthAt + emptyLength.Length)..] + "\r\n\r\n";
        var result = new byte[Encoding.Latin1.GetByteCount(rewrittenHead) + body.Length];
        var headLength = Encoding.Latin1.GetBytes(rewrittenHead, result);
        body.CopyTo(result.AsSpan(headLength));
        return result;
    }
}
