using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace OrleansConnect.Faults;

/// <summary>One FileStream pipeline: a FileStreamSource reading a growing input file of sequence-numbered lines into a
/// topic, and a FileStreamSink writing that topic to an output file, which <see cref="Output"/> reads as it grows.</summary>
public sealed class Pipeline(int index, string workDir, string prefix, string? outputDir = null)
{
    public int Index => index;
    public string Topic { get; } = $"{prefix}-lines-{index}";
    public string Source { get; } = $"{prefix}-source-{index}";
    public string Sink { get; } = $"{prefix}-sink-{index}";
    public string InputPath { get; } = Path.Combine(workDir, $"input-{index}.txt");
    public string OutputPath { get; } = Path.Combine(outputDir ?? workDir, $"output-{index}.txt");
    public OutputLedger Output { get; } = new(Path.Combine(outputDir ?? workDir, $"output-{index}.txt"), index);

    /// <summary>Lines appended to the input file so far (0 … Written-1).</summary>
    public long Written => Interlocked.Read(ref _written);

    private long _written;

    public IEnumerable<string> Connectors => [Source, Sink];

    public IReadOnlyDictionary<string, string> SourceConfig => new Dictionary<string, string>
    {
        ["connector.class"] = "FileStreamSource",
        ["file"] = InputPath,
        ["topic"] = Topic,
    };

    public IReadOnlyDictionary<string, string> SinkConfig => new Dictionary<string, string>
    {
        ["connector.class"] = "FileStreamSink",
        ["file"] = OutputPath,
        ["topics"] = Topic,
    };

    /// <summary>Appends the next <paramref name="count"/> lines (one write, flushed).</summary>
    public void Append(int count)
    {
        var from = Written;
        var text = new StringBuilder(count * 64);
        for (var seq = from; seq < from + count; seq++) text.Append(Lines.Line(index, seq)).Append('\n');
        using (var stream = new FileStream(InputPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite))
        {
            var bytes = Encoding.ASCII.GetBytes(text.ToString());
            stream.Write(bytes);
        }
        Interlocked.Add(ref _written, count);
    }

    /// <summary>Appends a line that is not a sequence-numbered one (the poison record).</summary>
    public void AppendForeign(string line)
    {
        using var stream = new FileStream(InputPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        stream.Write(Encoding.ASCII.GetBytes(line + "\n"));
    }
}

/// <summary>The line format: <c>p3-000001234 </c> and a fixed padding, 64 bytes with the newline. A line that is not
/// exactly the expected text for its number (cut short, two lines run together) counts as torn.</summary>
public static class Lines
{
    private const string Padding = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNO";

    public static string Line(int pipeline, long seq) => string.Create(CultureInfo.InvariantCulture, $"p{pipeline}-{seq:D9} {Padding}");

    public static bool TryParse(string line, int pipeline, out long seq)
    {
        seq = -1;
        var prefix = string.Create(CultureInfo.InvariantCulture, $"p{pipeline}-");
        if (!line.StartsWith(prefix, StringComparison.Ordinal) || line.Length < prefix.Length + 9) return false;
        if (!long.TryParse(line.AsSpan(prefix.Length, 9), NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return false;
        if (!string.Equals(line, Line(pipeline, n), StringComparison.Ordinal)) return false;
        seq = n;
        return true;
    }
}

/// <summary>Appends lines to every pipeline's input file at a steady rate, in ten chunks a second, until stopped.</summary>
public sealed class InputWriter(IReadOnlyList<Pipeline> pipelines, int linesPerSecond) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    public void Start()
    {
        var perTick = Math.Max(1, linesPerSecond / 10);
        _loop = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
            try
            {
                while (await timer.WaitForNextTickAsync(_stop.Token))
                    foreach (var pipeline in pipelines) pipeline.Append(perTick);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested) { }
        });
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null) await _loop;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }
}

/// <summary>A sink's output file, read as it grows: how often each sequence number arrived, the lines that are not
/// whole, and when each duplicate was first seen (to tell a zombie's late batch from a failover's replay).</summary>
public sealed class OutputLedger(string path, int pipeline)
{
    private readonly object _gate = new();
    private readonly List<int> _counts = [];
    private readonly List<long> _duplicateSeenAt = [];
    private readonly List<string> _tornExamples = [];
    private readonly StringBuilder _partial = new();
    private long _offset;
    private long _contiguous;

    public string Path => path;

    /// <summary>Lines read, torn ones included.</summary>
    public long Total { get; private set; }
    public long Distinct { get; private set; }
    public long Torn { get; private set; }
    public long Duplicates => Total - Torn - Distinct;
    public bool EndsOnCompleteLine { get { lock (_gate) return _partial.Length == 0; } }
    public IReadOnlyList<string> TornExamples { get { lock (_gate) return [.. _tornExamples]; } }
    public string? Anomaly { get; private set; }

    /// <summary>Reads what was appended since the last call.</summary>
    public void Refresh()
    {
        lock (_gate)
        {
            if (!File.Exists(path)) return;
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (stream.Length < _offset)
            {
                Anomaly = $"the file shrank from {_offset} to {stream.Length} bytes";
                return;
            }
            stream.Seek(_offset, SeekOrigin.Begin);
            var buffer = new byte[1 << 16];
            int read;
            while ((read = stream.Read(buffer)) > 0)
            {
                _offset += read;
                var text = Encoding.ASCII.GetString(buffer, 0, read);
                var start = 0;
                for (var newline = text.IndexOf('\n'); newline >= 0; newline = text.IndexOf('\n', start))
                {
                    _partial.Append(text, start, newline - start);
                    Take(_partial.ToString());
                    _partial.Clear();
                    start = newline + 1;
                }
                _partial.Append(text, start, text.Length - start);
            }
        }
    }

    private void Take(string line)
    {
        Total++;
        if (!Lines.TryParse(line, pipeline, out var seq))
        {
            Torn++;
            if (_tornExamples.Count < 3) _tornExamples.Add(line.Length > 60 ? line[..60] + "…" : line);
            return;
        }
        while (_counts.Count <= seq) _counts.Add(0);
        if (_counts[(int)seq]++ == 0) Distinct++;
        else _duplicateSeenAt.Add(Stopwatch.GetTimestamp());
        while (_contiguous < _counts.Count && _counts[(int)_contiguous] > 0) _contiguous++;
    }

    /// <summary>Every line below this arrived at least once.</summary>
    public long Contiguous { get { lock (_gate) return _contiguous; } }

    /// <summary>Whether every line below <paramref name="count"/> arrived at least once.</summary>
    public bool HasAllBelow(long count)
    {
        lock (_gate) return _contiguous >= count;
    }

    /// <summary>Sequence numbers below <paramref name="written"/> that never arrived.</summary>
    public long Missing(long written)
    {
        lock (_gate)
        {
            var present = 0L;
            for (var seq = 0; seq < Math.Min(written, _counts.Count); seq++) if (_counts[seq] > 0) present++;
            return written - present;
        }
    }

    /// <summary>Duplicates first read after the given <see cref="Stopwatch.GetTimestamp"/>.</summary>
    public long DuplicatesSeenAfter(long timestamp)
    {
        lock (_gate) return _duplicateSeenAt.Count(t => t > timestamp);
    }
}
