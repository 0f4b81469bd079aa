using System.Text;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Connect.Plugins;
using OrleansConnect.Connect.Source;

namespace OrleansConnect.Plugins.File;

/// <summary>Follows a file line by line. A line is emitted only once its terminator (\n, \r\n or \r) has been
/// read, so a line still being written is never split; each record's offset is the byte position after it.</summary>
public sealed class FileStreamSourceTask : SourceTask
{
    public const string FilenameField = "filename";
    public const string PositionField = "position";
    // At the end of the file the task waits before reading again: briefly right after data (a file being written
    // keeps flowing), doubling up to Kafka's one second while it stays idle, so thousands of idle tasks cost little.
    private static readonly TimeSpan FirstIdleWait = TimeSpan.FromMilliseconds(125);
    private static readonly TimeSpan MaxIdleWait = TimeSpan.FromSeconds(1);
    private const int InitialBufferSize = 4 * 1024;

    private string? _filename;
    private string _topic = "";
    private int _batchSize = FileStreamSourceConnector.DefaultBatchSize;
    private Stream? _stream;
    private IReadOnlyDictionary<string, object?>? _partition;
    private long _position;
    // Grows (doubling) as long lines or large reads need; an idle task keeps a small one.
    private byte[] _buffer = new byte[InitialBufferSize];
    private TimeSpan _idleWait = FirstIdleWait;
    private int _start;
    private int _end;
    private bool _pendingCr;

    public override string Version => AppInfo.KafkaVersion;

    public override Task StartAsync(IReadOnlyDictionary<string, string> props, CancellationToken ct)
    {
        _filename = props.TryGetValue(FileStreamSourceConnector.FileConfig, out var f) && !string.IsNullOrEmpty(f) ? f : null;
        _topic = props.TryGetValue(FileStreamSourceConnector.TopicConfig, out var t) ? t : throw new ConnectException("FileStreamSourceTask config missing topic setting");
        if (props.TryGetValue(FileStreamSourceConnector.BatchSizeConfig, out var b) && int.TryParse(b.Trim(), out var batch)) _batchSize = Math.Max(1, batch);
        _partition = _filename is null ? null : new Dictionary<string, object?> { [FilenameField] = _filename };
        return Task.CompletedTask;
    }

    public override async Task<IReadOnlyList<SourceRecord>?> PollAsync(CancellationToken ct)
    {
        if (_stream is null && !Open())
        {
            await IdleAsync(ct);
            return null;
        }
        List<SourceRecord>? records = null;
        while (records is null || records.Count < _batchSize)
        {
            var line = NextLine();
            if (line is null)
            {
                if (records is not null) break;
                var read = await FillAsync(ct);
                if (read == 0)
                {
                    // At the end of a file that may still grow: wait a little, as Kafka's task does.
                    await IdleAsync(ct);
                    return null;
                }
                continue;
            }
            records ??= new List<SourceRecord>(Math.Min(_batchSize, 1024));
            _idleWait = FirstIdleWait;
            var offset = _partition is null ? null : new PositionOffset(_position);
            records.Add(new SourceRecord(_partition, offset, _topic, null, null, null, Schema.StringSchema, line,
                DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
        }
        return records;
    }

    private async Task IdleAsync(CancellationToken ct)
    {
        await Task.Delay(_idleWait, ct);
        _idleWait = TimeSpan.FromTicks(Math.Min(MaxIdleWait.Ticks, _idleWait.Ticks * 2));
    }

    private bool Open()
    {
        if (_filename is null)
        {
            _stream = Console.OpenStandardInput();
            return true;
        }
        if (!System.IO.File.Exists(_filename)) return false;
        _stream = new FileStream(_filename, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, useAsync: true);
        var stored = Context.OffsetStorageReader.Offset(_partition!);
        if (stored is not null && stored.TryGetValue(PositionField, out var p) && p is not null)
        {
            var position = Convert.ToInt64(p);
            if (position > 0)
            {
                _stream.Seek(Math.Min(position, _stream.Length), SeekOrigin.Begin);
                _position = Math.Min(position, _stream.Length);
            }
        }
        return true;
    }

    private async Task<int> FillAsync(CancellationToken ct)
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
        // Nothing new at the end of a file: a length check (one fstat) instead of an asynchronous read, which would cost
        // a thread-pool work item every idle poll of every task.
        if (_stream is FileStream { CanSeek: true } file && file.Length <= file.Position) return 0;
        var read = await _stream!.ReadAsync(_buffer.AsMemory(_end), ct);
        _end += read;
        return read;
    }

    /// <summary>The next complete line in the buffer, advancing the byte position past its terminator.</summary>
    private string? NextLine()
    {
        if (_pendingCr)
        {
            // A '\r' ended the last line; a '\n' right after it belongs to the same terminator.
            if (_start == _end) return null;
            _pendingCr = false;
            if (_buffer[_start] == (byte)'\n') { _start++; _position++; }
        }
        var span = _buffer.AsSpan(_start, _end - _start);
        var index = span.IndexOfAny((byte)'\n', (byte)'\r');
        if (index < 0) return null;
        var line = Encoding.UTF8.GetString(span[..index]);
        var consumed = index + 1;
        if (span[index] == (byte)'\r')
        {
            if (index + 1 < span.Length) { if (span[index + 1] == (byte)'\n') consumed++; }
            else _pendingCr = true;
        }
        _start += consumed;
        _position += consumed;
        return line;
    }

    /// <summary>The offset {position=N} of one record. A map of its own per line (as Kafka's task builds one), but one
    /// small object instead of a Dictionary's three: this runs once per line at hundreds of thousands of lines/s.</summary>
    private sealed class PositionOffset(long position) : IReadOnlyDictionary<string, object?>
    {
        private readonly object _position = position;

        public object? this[string key] => key == PositionField ? _position : throw new KeyNotFoundException(key);
        public IEnumerable<string> Keys => [PositionField];
        public IEnumerable<object?> Values => [_position];
        public int Count => 1;
        public bool ContainsKey(string key) => key == PositionField;

        public bool TryGetValue(string key, out object? value)
        {
            value = key == PositionField ? _position : null;
            return key == PositionField;
        }

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            yield return new KeyValuePair<string, object?>(PositionField, _position);
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    public override Task StopAsync(CancellationToken ct)
    {
        if (_filename is not null) _stream?.Dispose();
        _stream = null;
        return Task.CompletedTask;
    }
}
