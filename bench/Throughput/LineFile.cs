namespace OrleansConnect.Throughput;

/// <summary>Counts the lines of a file another process is appending to, reading only what is new.</summary>
public sealed class LineFile(string path)
{
    private readonly byte[] _buffer = new byte[1 << 20];
    private long _position;

    public string Path { get; } = path;
    public long Lines { get; private set; }

    public async Task<long> CountAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(Path)) return Lines;
        await using var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, useAsync: true);
        stream.Position = _position;
        int read;
        while ((read = await stream.ReadAsync(_buffer, cancellationToken)) > 0)
        {
            Lines += _buffer.AsSpan(0, read).Count((byte)'\n');
            _position += read;
        }
        return Lines;
    }

    /// <summary>Byte-for-byte: the pipeline must deliver the input, not just as many lines.</summary>
    public static async Task RequireSameContentAsync(string expectedPath, string actualPath, CancellationToken cancellationToken)
    {
        await using var expected = new FileStream(expectedPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, useAsync: true);
        await using var actual = new FileStream(actualPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, useAsync: true);
        if (expected.Length != actual.Length)
            throw new InvalidOperationException($"{actualPath} has {actual.Length} bytes, the input {expected.Length}.");
        var a = new byte[1 << 16];
        var b = new byte[1 << 16];
        long offset = 0;
        while (true)
        {
            var n = await expected.ReadAtLeastAsync(a, a.Length, throwOnEndOfStream: false, cancellationToken);
            var m = await actual.ReadAtLeastAsync(b.AsMemory(0, n), n, throwOnEndOfStream: false, cancellationToken);
            if (n == 0) return;
            var mismatch = a.AsSpan(0, n).CommonPrefixLength(b.AsSpan(0, m));
            if (mismatch < n) throw new InvalidOperationException($"{actualPath} differs from the input at byte {offset + mismatch}.");
            offset += n;
        }
    }
}
