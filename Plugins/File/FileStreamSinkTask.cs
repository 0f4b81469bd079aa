using System.Buffers;
using System.Text;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Connect.Plugins;
using OrleansConnect.Connect.Sink;

namespace OrleansConnect.Plugins.File;

/// <summary>Writes record values as lines, each as Kafka's FileStreamSinkTask prints it (<see cref="JavaValueText"/>):
/// a map as {i=1, tag=good}, a boolean as true; bytes (ByteArrayConverter) as Java prints a byte[], as in Kafka, so
/// text is written with StringConverter. The file is opened (created, appended) at start: a missing
/// directory fails the task, as in Kafka. A batch that fails part-way (a full disk) is cut off the file again, so
/// the file always ends on a complete line and the retried batch starts on a line of its own.</summary>
public sealed class FileStreamSinkTask : SinkTask
{
    private const int InitialBuffer = 64 * 1024;
    private const int MaxRetainedBuffer = 4 * 1024 * 1024;
    private ArrayBufferWriter<byte> _buffer = new(InitialBuffer);
    private string? _filename;
    private Stream? _output;
    private readonly Func<string, Stream> _open;

    public FileStreamSinkTask() : this(OpenAppending)
    {
    }

    /// <summary>For tests: <paramref name="open"/> opens the named file for appending.</summary>
    internal FileStreamSinkTask(Func<string, Stream> open) => _open = open;

    // Unbuffered: each batch goes out in one write, so a crash cannot tear a line in the middle.
    private static FileStream OpenAppending(string file) =>
        new(file, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, 0, useAsync: true);

    public override string Version => AppInfo.KafkaVersion;

    public override Task StartAsync(IReadOnlyDictionary<string, string> props, CancellationToken ct)
    {
        _filename = props.TryGetValue(FileStreamSinkConnector.FileConfig, out var f) && !string.IsNullOrEmpty(f) ? f : null;
        try
        {
            _output = _filename is null ? Console.OpenStandardOutput() : _open(_filename);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConnectException($"Couldn't find or create file '{_filename}' for FileStreamSinkTask", e);
        }
        return Task.CompletedTask;
    }

    public override async Task PutAsync(IReadOnlyCollection<SinkRecord> records, CancellationToken ct)
    {
        var output = _output ?? throw new ConnectException("FileStreamSinkTask has not been started");
        // One buffer for the task's life, each text encoded straight into it: no byte[] per record, no copy per batch.
        _buffer.ResetWrittenCount();
        foreach (var record in records)
        {
            // Kafka's task prints record.value(): the value's Java toString, the same text for the same record.
            var text = JavaValueText.Format(record.Value);
            var span = _buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length) + 1);
            var written = Encoding.UTF8.GetBytes(text, span);
            span[written] = (byte)'\n';
            _buffer.Advance(written + 1);
        }
        var start = output.CanSeek ? output.Position : -1;
        try
        {
            await output.WriteAsync(_buffer.WrittenMemory, ct);
        }
        catch when (start >= 0)
        {
            // The kernel may have taken part of the batch before the disk filled up: without this the file would end
            // in a torn line, and the batch written again after the restart would be glued to it.
            CutBackTo(output, start);
            throw;
        }
        // A rare huge batch should not pin its buffer for good.
        if (_buffer.Capacity > MaxRetainedBuffer) _buffer = new ArrayBufferWriter<byte>(InitialBuffer);
    }

    private static void CutBackTo(Stream output, long length)
    {
        try
        {
            output.SetLength(length);
            output.Position = length;
        }
        catch (IOException)
        {
            // Leaves the torn tail; the task fails with the write's own error either way.
        }
    }

    public override async Task FlushAsync(IReadOnlyDictionary<TopicPartition, OffsetAndMetadata> currentOffsets, CancellationToken ct)
    {
        if (_output is not null) await _output.FlushAsync(ct);
    }

    public override async Task StopAsync(CancellationToken ct)
    {
        if (_output is null) return;
        await _output.FlushAsync(ct);
        if (_filename is not null) await _output.DisposeAsync();
        _output = null;
    }
}
