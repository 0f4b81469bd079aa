using System.Text;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Connect.Plugins;
using OrleansConnect.Connect.Sink;

namespace OrleansConnect.Plugins.File;

/// <summary>Writes record values as lines, each as Kafka's FileStreamSinkTask prints it (<see cref="JavaValueText"/>):
/// a map as {i=1, tag=good}, a boolean as true; bytes (ByteArrayConverter) as Java prints a byte[], as in Kafka, so
/// text is written with StringConverter. The file is opened (created, appended) at start: a missing
/// directory fails the task, as in Kafka.</summary>
public sealed class FileStreamSinkTask : SinkTask
{
    private static readonly byte[] NewLine = "\n"u8.ToArray();
    private string? _filename;
    private Stream? _output;

    public override string Version => AppInfo.KafkaVersion;

    public override Task StartAsync(IReadOnlyDictionary<string, string> props, CancellationToken ct)
    {
        _filename = props.TryGetValue(FileStreamSinkConnector.FileConfig, out var f) && !string.IsNullOrEmpty(f) ? f : null;
        try
        {
            _output = _filename is null
                ? Console.OpenStandardOutput()
                // Unbuffered: each batch goes out in one write, so a crash cannot tear a line in the middle.
                : new FileStream(_filename, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, 0, useAsync: true);
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
        var buffer = new MemoryStream();
        foreach (var record in records)
        {
            // Kafka's task prints record.value(): the value's Java toString, the same text for the same record.
            buffer.Write(Encoding.UTF8.GetBytes(JavaValueText.Format(record.Value)));
            buffer.Write(NewLine);
        }
        await output.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), ct);
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
