using System.Text;

namespace OrleansConnect.Throughput;

/// <summary>Reads the whole lines appended to a log file since the last call (a partial last line waits for its end).</summary>
public sealed class LogReader(string path) : IDisposable
{
    private readonly byte[] _buffer = new byte[1 << 16];
    private readonly StringBuilder _partial = new();
    private FileStream? _stream;

    public IEnumerable<string> NewLines()
    {
        if (_stream is null)
        {
            if (!File.Exists(path)) yield break;
            _stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
        }
        int read;
        while ((read = _stream.Read(_buffer)) > 0)
        {
            _partial.Append(Encoding.UTF8.GetString(_buffer, 0, read));
            var text = _partial.ToString();
            var end = text.LastIndexOf('\n');
            if (end < 0) continue;
            _partial.Clear().Append(text, end + 1, text.Length - end - 1);
            foreach (var line in text[..end].Split('\n')) yield return line;
        }
    }

    public void Dispose() => _stream?.Dispose();
}
