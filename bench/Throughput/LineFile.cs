namespace OrleansConnect.Throughput;

/// <summary>Counts the lines of a file another process is appending to, reading only what is new. Synchronous: it
/// runs on the <see cref="Sampler"/>'s own thread every few milliseconds.</summary>
public sealed class LineFile(string path) : IDisposable
{
    private readonly byte[] _buffer = new byte[1 << 20];
    private FileStream? _stream;

    public string Path { get; } = path;
    public long Lines { get; private set; }

    public long Count()
    {
        if (_stream is null)
        {
            if (!File.Exists(Path)) return Lines;
            _stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
        }
        int read;
        while ((read = _stream.Read(_buffer)) > 0) Lines += _buffer.AsSpan(0, read).Count((byte)'\n');
        return Lines;
    }

    public void Dispose() => _stream?.Dispose();
}
