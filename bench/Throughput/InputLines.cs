using OrleansConnect.Grains.Kafka;

namespace OrleansConnect.Throughput;

/// <summary>The input in memory, to check an output that holds its lines in another order: records of many
/// partitions arrive interleaved, so a sink's file (or kcat's) is a permutation of the input, not a copy. Every input
/// line has the same length and starts with its 9-digit sequence number, so each output line says which input line it
/// must equal; a bitmap catches duplicates, and the count catches losses.</summary>
public sealed class InputLines
{
    private readonly byte[] _content;
    private readonly int _lineBytes;

    private InputLines(byte[] content, int lineBytes, int lines)
    {
        _content = content;
        _lineBytes = lineBytes;
        Lines = lines;
    }

    public int Lines { get; }

    public static async Task<InputLines> LoadAsync(string path, int lines, int lineBytes, CancellationToken cancellationToken)
    {
        var content = await File.ReadAllBytesAsync(path, cancellationToken);
        if (content.Length != (long)lines * lineBytes) throw new InvalidOperationException($"{path} has {content.Length} bytes, not {lines} × {lineBytes}.");
        return new InputLines(content, lineBytes, lines);
    }

    /// <summary>Throws unless <paramref name="outputPath"/> holds every input line exactly once, in any order. On its own
    /// thread: it reads and compares ~100 MB synchronously.</summary>
    public Task RequireSameLinesAsync(string outputPath, CancellationToken cancellationToken) => KafkaBlocking.Run(() =>
    {
        var seen = new bool[Lines];
        long count = 0;
        using var output = new FileStream(outputPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 20);
        if (output.Length != _content.Length)
            throw new InvalidOperationException($"{outputPath} has {output.Length:N0} bytes, the input {_content.Length:N0}: records lost or duplicated.");
        var line = new byte[_lineBytes];
        while (output.ReadAtLeast(line, _lineBytes, throwOnEndOfStream: false) is var n && n > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (n != _lineBytes || line[^1] != (byte)'\n') throw new InvalidOperationException($"{outputPath}: line {count + 1} is not a whole input line.");
            var sequence = 0;
            for (var i = 0; i < 9; i++) sequence = sequence * 10 + (line[i] - '0');
            if ((uint)sequence >= (uint)Lines || !line.AsSpan().SequenceEqual(_content.AsSpan(sequence * _lineBytes, _lineBytes)))
                throw new InvalidOperationException($"{outputPath}: line {count + 1} is no input line.");
            if (seen[sequence]) throw new InvalidOperationException($"{outputPath}: input line {sequence} appears twice (a duplicate).");
            seen[sequence] = true;
            count++;
        }
        if (count != Lines) throw new InvalidOperationException($"{outputPath} holds {count:N0} lines, the input {Lines:N0}.");
    }, cancellationToken);
}
