using System.Diagnostics;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Microsoft.Extensions.Logging;
using ErrorCode = Confluent.Kafka.ErrorCode;

using OrleansConnect.Grains.Kafka;

namespace OrleansConnect.Silo.EmbeddedBroker;

/// <summary>Settings of <see cref="EmbeddedBrokerLog"/>.</summary>
public sealed record EmbeddedBrokerLogOptions
{
    /// <summary>Topics whose records point into other topics (Connect's offsets topic): their end offsets are taken before
    /// the others' and their records written after them, so a saved source offset never points past saved records.</summary>
    public IReadOnlyCollection<string> OffsetTopics { get; init; } = [];

    /// <summary>The log is rewritten once its dead bytes (records the broker dropped, replaced group offsets) exceed both
    /// the live data and this floor.</summary>
    public long CompactionMinGarbageBytes { get; init; } = 16 << 20;
}

/// <summary>What one save appended.</summary>
public sealed record EmbeddedBrokerSaveResult(int Topics, int Partitions, int PartitionsRead, long Records, int GroupOffsets, long BytesAppended, TimeSpan Elapsed);

/// <summary>Keeps the embedded broker's contents in <c>data.dir/embedded-kafka.log</c> so they survive any stop of the
/// silo, kill -9 included. The mock cluster keeps everything in memory; a real Kafka keeps it on disk.
/// <para>Each save is incremental: one metadata request, the committed offsets of the tracked consumer groups, one batched
/// ListOffsets, then only the partitions whose end moved since the last save are read, from where that save stopped, and
/// their new records appended (<see cref="EmbeddedBrokerLogFormat"/>). Group offsets are appended only when they changed,
/// after the records, and are read before the end offsets, so a saved offset never points past saved records. A crash
/// mid-append leaves a torn tail that the next start drops. Once dead bytes outweigh live ones the file is rewritten
/// (through a temporary file and a rename).</para>
/// <para>At start the file is replayed into the fresh broker. The mock cannot start a partition at a chosen offset, so
/// restored records get new offsets, 0 upwards in their original order, each group's committed offset is moved to the
/// record it pointed at, and the file is rewritten in the new numbering before anything uses the broker. A snapshot of
/// the previous format (<see cref="EmbeddedBrokerSnapshot"/>, saved at clean stops only) is converted first.</para></summary>
public sealed class EmbeddedBrokerLog : IAsyncDisposable
{
    public const string FileName = "embedded-kafka.log";
    public const string TemporaryFileName = FileName + ".tmp";

    // Kafka's own internal topics: the mock keeps group state outside any topic, so these never hold our data.
    private static readonly HashSet<string> InternalTopics = new(StringComparer.Ordinal) { "__consumer_offsets", "__transaction_state" };
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    // Partitions read together in one assignment; each buffers at most a batch frame (~1 MiB) before it is written.
    private const int WaveSize = 16;

    private readonly EmbeddedKafkaBroker _broker;
    private readonly string _path;
    private readonly EmbeddedBrokerLogOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly HashSet<string> _offsetTopics;
    private IConsumer<byte[]?, byte[]?>? _reader;
    private IAdminClient? _admin;
    private FileStream? _file;
    private LogState _state;
    private bool _disposed;

    private EmbeddedBrokerLog(EmbeddedKafkaBroker broker, string directory, EmbeddedBrokerLogOptions options, ILogger logger, LogState state)
    {
        _broker = broker;
        _path = Path.Combine(directory, FileName);
        _options = options;
        _logger = logger;
        _state = state;
        _offsetTopics = new HashSet<string>(options.OffsetTopics, StringComparer.Ordinal);
    }

    /// <summary>Bytes of the log file.</summary>
    public long FileBytes => _state.Length;

    /// <summary>Bytes of the log file that still describe the broker (the rest is what a compaction would drop).</summary>
    public long LiveBytes => _state.LiveBytes;

    /// <summary>The consumer groups whose offsets the log holds (tracked on, whether or not a sink registers them again).</summary>
    private IReadOnlyCollection<string> SavedGroups => _state.Groups.Keys.Select(k => k.Group).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>Restores the broker from the log in <paramref name="directory"/> (converting a previous-format snapshot
    /// first), or starts an empty log. Call on a freshly started broker, before anything else uses it. A file that is not
    /// a log, or a damaged previous-format snapshot, is an <see cref="InvalidDataException"/> raised before the broker is
    /// touched; the file stays where it is. A torn tail is dropped with a warning.</summary>
    public static Task<EmbeddedBrokerLog> OpenAsync(EmbeddedKafkaBroker broker, string directory, EmbeddedBrokerLogOptions options, ILogger logger,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(broker);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        return KafkaBlocking.Run(() => Open(broker, directory, options, logger, ct), ct);
    }

    private static EmbeddedBrokerLog Open(EmbeddedKafkaBroker broker, string directory, EmbeddedBrokerLogOptions options, ILogger logger, CancellationToken ct)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, FileName);
        // A previous-format snapshot only exists while it is newer than any log: the conversion removes it.
        if (File.Exists(Path.Combine(directory, EmbeddedBrokerSnapshot.FileName)))
            EmbeddedBrokerSnapshot.ConvertToLog(directory, path, logger, ct);
        if (File.Exists(path))
            Restore(broker, path, logger, ct);
        else
            WriteAtomically(path, _ => { });
        EmbeddedBrokerSnapshot.DeleteLeftovers(directory);
        var state = Scan(path, out _);
        var log = new EmbeddedBrokerLog(broker, directory, options, logger, state);
        log.OpenForAppend();
        return log;
    }

    private void OpenForAppend()
    {
        _file?.Dispose();
        _file = new FileStream(_path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read, 1 << 16);
        // A torn tail the scan dropped is cut off before anything is appended after it.
        if (_file.Length != _state.Length) _file.SetLength(_state.Length);
        _file.Seek(_state.Length, SeekOrigin.Begin);
    }

    /// <summary>Appends what changed in the broker since the last save. Concurrent calls run one after the other. A save
    /// that fails or is cancelled leaves the file as the last save left it.</summary>
    public async Task<EmbeddedBrokerSaveResult> SaveAsync(IEnumerable<string> consumerGroups, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(consumerGroups);
        await _gate.WaitAsync(ct);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var started = Stopwatch.StartNew();
            EnsureClients();
            var groups = consumerGroups.Where(g => !string.IsNullOrEmpty(g)).Concat(SavedGroups).Distinct(StringComparer.Ordinal).ToList();
            var topics = await KafkaBlocking.Run(() => ListTopics(ct), ct);
            var partitions = topics.SelectMany(t => Enumerable.Range(0, t.Partitions).Select(p => new TopicPartition(t.Name, new Partition(p)))).ToList();
            // Committed offsets first: everything they point at is in the log by the time the end offsets are taken.
            var committed = await ReadCommittedAsync(groups, partitions, ct);
            return await KafkaBlocking.Run(() => Append(topics, partitions, committed, started, ct), ct);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Saves every <paramref name="interval"/> until <paramref name="ct"/> is cancelled; a failed save is logged
    /// and the next one tries again (it picks up everything the failed one missed).</summary>
    public async Task RunAsync(Func<IEnumerable<string>> consumerGroups, TimeSpan interval, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(interval);
        var failing = false;
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                try
                {
                    var result = await SaveAsync(consumerGroups(), ct);
                    _logger.LogDebug("Embedded broker log: appended {Records} records of {PartitionsRead} partitions and {GroupOffsets} group offsets ({Bytes} bytes) in {Elapsed} ms",
                        result.Records, result.PartitionsRead, result.GroupOffsets, result.BytesAppended, result.Elapsed.TotalMilliseconds);
                    if (failing) _logger.LogInformation("Embedded broker log: saving works again");
                    failing = false;
                    await CompactIfWorthwhileAsync(_options.CompactionMinGarbageBytes, ct);
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    // Logged once per failing streak: the next tick retries with everything still unsaved.
                    if (!failing) _logger.LogError(e, "Embedded broker log: a periodic save failed; what was not saved is retried at the next one");
                    failing = true;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>Rewrites the log without its dead bytes when they exceed the live ones and <paramref name="minGarbageBytes"/>.
    /// Returns whether it did. A rewrite cut short leaves the current file in place.</summary>
    public async Task<bool> CompactIfWorthwhileAsync(long minGarbageBytes, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var garbage = _state.Length - _state.LiveBytes;
            if (garbage <= Math.Max(_state.LiveBytes, minGarbageBytes)) return false;
            await KafkaBlocking.Run(() => Compact(ct), ct);
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Rewrites the log with only what is live: one frame per topic, the records at or above each log start,
    /// each partition's extent and each group's latest offset.</summary>
    private void Compact(CancellationToken ct)
    {
        var started = Stopwatch.StartNew();
        var before = _state.Length;
        _file!.Flush(flushToDisk: true);
        WriteAtomically(_path, frames =>
        {
            foreach (var topic in _state.Topics.Values.OrderBy(t => t.Name, StringComparer.Ordinal)) frames.WriteTopic(topic);
            using var input = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 20);
            input.Seek(EmbeddedBrokerLogFormat.HeaderLength, SeekOrigin.Begin);
            var reader = new EmbeddedBrokerLogFormat.FrameReader(input);
            while (reader.TryRead(_state.Length, out var frame))
            {
                ct.ThrowIfCancellationRequested();
                if (frame.Tag != EmbeddedBrokerLogFormat.BatchTag) continue;
                var (topic, partition, end, records) = EmbeddedBrokerLogFormat.ReadBatch(frame.Payload);
                if (!_state.Partitions.TryGetValue((topic, partition), out var p) || end <= p.LogStart) continue;
                var kept = records.Where(r => r.Offset >= p.LogStart).ToList();
                frames.WriteBatch(topic, partition, end, kept);
            }
            foreach (var ((topic, partition), p) in _state.Partitions.OrderBy(kv => kv.Key))
                if (p.LogStart > 0) frames.WriteExtent(topic, partition, p.LogStart, p.End);
            foreach (var ((group, topic, partition), g) in _state.Groups) frames.WriteGroup(new SnapshotGroupOffset(group, topic, partition, g.Offset));
        });
        _state = Scan(_path, out _);
        OpenForAppend();
        _logger.LogInformation("Embedded broker log compacted from {Before} to {After} bytes in {Elapsed} ms", before, _state.Length, started.ElapsedMilliseconds);
    }

    private void EnsureClients()
    {
        if (_reader is not null) return;
        _reader = KafkaClients.BuildConsumer(ReaderConfig(_broker.BootstrapServers));
        _admin = new DependentAdminClientBuilder(_reader.Handle).Build();
    }

    private List<SnapshotTopic> ListTopics(CancellationToken ct)
    {
        Metadata metadata;
        var attempt = 0;
        // A topic can briefly report an error (no leader yet); ask again before leaving it out of this save.
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            metadata = _admin!.GetMetadata(RequestTimeout);
            if (metadata.Topics.All(t => t.Error.Code == ErrorCode.NoError) || ++attempt >= 5) break;
            ct.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(200));
        }
        var topics = new List<SnapshotTopic>();
        foreach (var topic in metadata.Topics.OrderBy(t => t.Topic, StringComparer.Ordinal))
        {
            if (InternalTopics.Contains(topic.Topic)) continue;
            if (topic.Error.Code != ErrorCode.NoError || topic.Partitions.Count == 0)
            {
                // Left for the next save; what the log holds of it stays.
                _logger.LogWarning("Embedded broker log: topic {Topic} left out of this save, its metadata reports {Error}", topic.Topic, topic.Error);
                continue;
            }
            var replication = Math.Max(1, topic.Partitions.Max(p => p.Replicas.Length));
            topics.Add(new SnapshotTopic(topic.Topic, topic.Partitions.Count, replication));
        }
        return topics;
    }

    /// <summary>Each group's committed offsets over <paramref name="partitions"/> (-1 where it has none); a group whose
    /// request failed is left out, so its saved offsets stay as they were.</summary>
    private async Task<Dictionary<(string Group, string Topic, int Partition), long>> ReadCommittedAsync(List<string> groups, List<TopicPartition> partitions,
        CancellationToken ct)
    {
        var result = new Dictionary<(string, string, int), long>();
        if (partitions.Count == 0 || groups.Count == 0) return result;
        // Bounded, so that many sink groups do not put hundreds of requests on the broker at once.
        using var slots = new SemaphoreSlim(16);
        var requests = groups.Select(async group =>
        {
            await slots.WaitAsync(ct);
            try
            {
                // One group per request: librdkafka lists one group's offsets at a time.
                var answer = await _admin!.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions(group, partitions)],
                    new ListConsumerGroupOffsetsOptions { RequestTimeout = RequestTimeout }).WaitAsync(ct);
                return (group, answer.SelectMany(r => r.Partitions).ToList());
            }
            catch (KafkaException e)
            {
                _logger.LogWarning("Embedded broker log: the offsets of group {Group} could not be read ({Reason}); its saved ones stay", group, e.Error.Reason);
                return (group, (List<TopicPartitionOffsetError>?)null);
            }
            finally
            {
                slots.Release();
            }
        }).ToList();
        foreach (var (group, offsets) in await Task.WhenAll(requests))
        {
            if (offsets is null) continue;
            foreach (var o in offsets)
                if (o.Error.Code == ErrorCode.NoError)
                    result[(group, o.Topic, o.Partition.Value)] = o.Offset.Value >= 0 ? o.Offset.Value : -1;
        }
        return result;
    }

    private EmbeddedBrokerSaveResult Append(List<SnapshotTopic> topics, List<TopicPartition> partitions,
        Dictionary<(string Group, string Topic, int Partition), long> committed, Stopwatch started, CancellationToken ct)
    {
        var reader = _reader!;
        // The offsets topics' ends are taken before the others': what a saved source offset covers is acknowledged, so
        // inside the other partitions' ends.
        var offsetPartitions = partitions.Where(p => _offsetTopics.Contains(p.Topic)).ToList();
        var offsetEnds = ListOffsets(reader, offsetPartitions, Offset.End, ct);
        var starts = ListOffsets(reader, partitions, Offset.Beginning, ct);
        var ends = ListOffsets(reader, partitions, Offset.End, ct);
        foreach (var (tp, end) in offsetEnds) ends[tp] = Math.Min(end, ends[tp]);

        var file = _file!;
        var lengthBefore = _state.Length;
        var frames = new EmbeddedBrokerLogFormat.FrameWriter(file);
        var delta = new StateDelta();
        try
        {
            foreach (var topic in topics)
                if (!_state.Topics.TryGetValue(topic.Name, out var known) || known != topic)
                    delta.Topics.Add((topic, frames.WriteTopic(topic)));

            var reads = new List<PartitionRead>();
            foreach (var tp in partitions)
            {
                var key = (tp.Topic, tp.Partition.Value);
                var saved = _state.Partitions.TryGetValue(key, out var s) ? s : null;
                var (savedStart, savedEnd) = (saved?.LogStart ?? 0, saved?.End ?? 0);
                var (start, end) = (starts[tp], ends[tp]);
                if (end < savedEnd)
                {
                    _logger.LogError("Embedded broker log: {Topic}[{Partition}] ends at {End}, before the {Saved} already saved; left as saved",
                        tp.Topic, tp.Partition.Value, end, savedEnd);
                    continue;
                }
                var from = Math.Max(savedEnd, start);
                if (start > savedEnd)
                    _logger.LogWarning("Embedded broker log: the broker dropped {Dropped} records of {Topic}[{Partition}] (its per-partition limit) before they were saved",
                        start - savedEnd, tp.Topic, tp.Partition.Value);
                if (end > from) reads.Add(new PartitionRead(tp, from, end, _offsetTopics.Contains(tp.Topic)));
                if (start > savedStart) delta.Extents[key] = (start, Math.Max(savedEnd, start));
            }

            // Offsets topics last: a torn tail can cut their records off, never the records they point at.
            foreach (var wave in reads.OrderBy(r => r.IsOffsetTopic).Chunk(WaveSize))
                CopyWave(reader, wave, frames, delta, ct);

            foreach (var (key, (start, end)) in delta.Extents.ToList())
            {
                var reached = delta.Ends.TryGetValue(key, out var e) ? Math.Max(e, end) : end;
                delta.Extents[key] = (start, reached);
                delta.ExtentBytes[key] = frames.WriteExtent(key.Topic, key.Partition, start, reached);
            }
            foreach (var (key, offset) in committed)
            {
                var had = _state.Groups.TryGetValue(key, out var g);
                if (had ? g.Offset == offset : offset < 0) continue;
                delta.Groups[key] = (offset, frames.WriteGroup(new SnapshotGroupOffset(key.Group, key.Topic, key.Partition, offset)));
            }
            file.Flush(flushToDisk: true);
        }
        catch
        {
            // Nothing half-written stays: the next append starts where the last whole save ended.
            try
            {
                file.SetLength(lengthBefore);
                file.Seek(lengthBefore, SeekOrigin.Begin);
            }
            catch (IOException e)
            {
                _logger.LogError(e, "Embedded broker log: could not cut a failed save off {Path}; the next start drops it as a torn tail", _path);
            }
            throw;
        }
        var appended = file.Length - lengthBefore;
        _state.Apply(delta, file.Length);
        return new EmbeddedBrokerSaveResult(topics.Count, partitions.Count, delta.PartitionsRead, delta.Records, delta.Groups.Count, appended, started.Elapsed);
    }

    /// <summary>Reads the partitions of one wave through one assignment, each from its start to its end, and writes their
    /// records in batch frames of about <see cref="EmbeddedBrokerLogFormat.BatchTargetBytes"/>.</summary>
    private void CopyWave(IConsumer<byte[]?, byte[]?> consumer, PartitionRead[] wave, EmbeddedBrokerLogFormat.FrameWriter frames, StateDelta delta,
        CancellationToken ct)
    {
        var reads = wave.ToDictionary(r => r.Partition);
        consumer.Assign(wave.Select(r => new TopicPartitionOffset(r.Partition, new Offset(r.From))));
        try
        {
            var open = reads.Count;
            var lastProgress = Stopwatch.StartNew();
            while (open > 0)
            {
                ct.ThrowIfCancellationRequested();
                var result = consumer.Consume(PollInterval);
                if (result is null)
                {
                    if (lastProgress.Elapsed > StallTimeout)
                        throw new TimeoutException($"Reading {string.Join(", ", reads.Values.Where(r => !r.Done).Select(r => $"{r.Partition} (at {r.Next} of {r.From}..{r.End})"))} " +
                            $"for the embedded broker log made no progress for {StallTimeout.TotalSeconds:0} s.");
                    continue;
                }
                lastProgress.Restart();
                if (!reads.TryGetValue(result.TopicPartition, out var read) || read.Done) continue;
                if (result.IsPartitionEOF)
                {
                    // Read-committed stops at the last stable offset: an open transaction's records wait for the next save.
                    if (result.Offset.Value >= read.From)
                    {
                        read.Finish(Math.Min(result.Offset.Value, read.End), frames, delta);
                        open--;
                    }
                    continue;
                }
                if (result.Offset.Value < read.Next) continue;
                if (result.Offset.Value >= read.End)
                {
                    // Produced after this save took its ends: the next save has it.
                    read.Finish(read.End, frames, delta);
                    open--;
                    continue;
                }
                var message = result.Message;
                read.Add(new SnapshotRecord(result.Offset.Value, (byte)message.Timestamp.Type, message.Timestamp.UnixTimestampMs,
                    message.Key, message.Value,
                    message.Headers?.Select(h => new KeyValuePair<string, byte[]?>(h.Key, h.GetValueBytes())).ToList() ?? []), frames, delta);
                if (result.Offset.Value >= read.End - 1)
                {
                    read.Finish(read.End, frames, delta);
                    open--;
                }
            }
        }
        finally
        {
            consumer.Unassign();
        }
    }

    private sealed class PartitionRead(TopicPartition partition, long from, long end, bool isOffsetTopic)
    {
        private readonly List<SnapshotRecord> _buffer = [];
        private long _bufferBytes;

        public TopicPartition Partition { get; } = partition;
        public long From { get; } = from;
        public long End { get; } = end;
        public bool IsOffsetTopic { get; } = isOffsetTopic;
        public long Next { get; private set; } = from;
        public bool Done { get; private set; }

        public void Add(SnapshotRecord record, EmbeddedBrokerLogFormat.FrameWriter frames, StateDelta delta)
        {
            _buffer.Add(record);
            _bufferBytes += 64 + (record.Key?.Length ?? 0) + (record.Value?.Length ?? 0) + record.Headers.Sum(h => h.Key.Length + (h.Value?.Length ?? 0));
            Next = record.Offset + 1;
            if (_bufferBytes >= EmbeddedBrokerLogFormat.BatchTargetBytes) Write(Next, frames, delta);
        }

        public void Finish(long end, EmbeddedBrokerLogFormat.FrameWriter frames, StateDelta delta)
        {
            Done = true;
            if (end > From) Write(Math.Max(end, Next), frames, delta);
            delta.PartitionsRead++;
        }

        private void Write(long end, EmbeddedBrokerLogFormat.FrameWriter frames, StateDelta delta)
        {
            var key = (Partition.Topic, Partition.Partition.Value);
            if (delta.Ends.TryGetValue(key, out var written) && written >= end && _buffer.Count == 0) return;
            var bytes = frames.WriteBatch(Partition.Topic, Partition.Partition.Value, end, _buffer);
            delta.Records += _buffer.Count;
            delta.Ends[key] = end;
            if (!delta.Frames.TryGetValue(key, out var list)) delta.Frames[key] = list = [];
            list.Add((end, bytes));
            _buffer.Clear();
            _bufferBytes = 0;
        }
    }

    /// <summary>What one save wrote, applied to <see cref="LogState"/> only once it is on disk.</summary>
    private sealed class StateDelta
    {
        public List<(SnapshotTopic Topic, long Bytes)> Topics { get; } = [];
        public Dictionary<(string Topic, int Partition), (long Start, long End)> Extents { get; } = new();
        public Dictionary<(string Topic, int Partition), long> ExtentBytes { get; } = new();
        public Dictionary<(string Topic, int Partition), long> Ends { get; } = new();
        public Dictionary<(string Topic, int Partition), List<(long End, long Bytes)>> Frames { get; } = new();
        public Dictionary<(string Group, string Topic, int Partition), (long Offset, long Bytes)> Groups { get; } = new();
        public int PartitionsRead { get; set; }
        public long Records { get; set; }
    }

    private sealed class PartitionState
    {
        public long LogStart { get; set; }
        public long End { get; set; }
        /// <summary>The batch frames holding this partition's records, oldest first: their end offsets and sizes.</summary>
        public Queue<(long End, long Bytes)> Frames { get; } = new();
        public long FrameBytes { get; set; }
        public long ExtentBytes { get; set; }

        /// <summary>Forgets frames wholly below the log start: a compaction drops them.</summary>
        public void Trim()
        {
            while (Frames.Count > 0 && Frames.Peek().End <= LogStart) FrameBytes -= Frames.Dequeue().Bytes;
        }
    }

    /// <summary>What the log file holds, as the last save (or the scan at start) left it.</summary>
    private sealed class LogState
    {
        public Dictionary<string, SnapshotTopic> Topics { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, long> TopicBytes { get; } = new(StringComparer.Ordinal);
        public Dictionary<(string Topic, int Partition), PartitionState> Partitions { get; } = new();
        public Dictionary<(string Group, string Topic, int Partition), (long Offset, long Bytes)> Groups { get; } = new();
        public long Length { get; set; }
        public long Records { get; set; }
        public long LargestFrame { get; set; }

        public long LiveBytes => EmbeddedBrokerLogFormat.HeaderLength + TopicBytes.Values.Sum()
            + Partitions.Values.Sum(p => p.FrameBytes + p.ExtentBytes) + Groups.Values.Sum(g => g.Bytes);

        public PartitionState Partition((string, int) key)
        {
            if (!Partitions.TryGetValue(key, out var p)) Partitions[key] = p = new PartitionState();
            return p;
        }

        public void SetTopic(SnapshotTopic topic, long bytes)
        {
            Topics[topic.Name] = topic;
            TopicBytes[topic.Name] = bytes;
        }

        public void AddBatch((string, int) key, long end, long bytes)
        {
            var p = Partition(key);
            p.End = Math.Max(p.End, end);
            p.Frames.Enqueue((end, bytes));
            p.FrameBytes += bytes;
            p.Trim();
        }

        public void SetExtent((string, int) key, long start, long end, long bytes)
        {
            var p = Partition(key);
            p.LogStart = Math.Max(p.LogStart, start);
            p.End = Math.Max(p.End, end);
            p.ExtentBytes = bytes;
            p.Trim();
        }

        public void SetGroup((string, string, int) key, long offset, long bytes)
        {
            if (offset < 0) Groups.Remove(key);
            else Groups[key] = (offset, bytes);
        }

        public void Apply(StateDelta delta, long length)
        {
            foreach (var (topic, bytes) in delta.Topics) SetTopic(topic, bytes);
            foreach (var (key, frames) in delta.Frames)
                foreach (var (end, bytes) in frames) AddBatch(key, end, bytes);
            foreach (var (key, (start, end)) in delta.Extents) SetExtent(key, start, end, delta.ExtentBytes[key]);
            foreach (var (key, (offset, bytes)) in delta.Groups) SetGroup(key, offset, bytes);
            Length = length;
        }
    }

    /// <summary>Reads the log's frames (without decoding records) into its state; <paramref name="stopReason"/> says why
    /// the intact part ends before the file does, if it does.</summary>
    private static LogState Scan(string path, out string? stopReason)
    {
        using var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 20);
        EmbeddedBrokerLogFormat.ReadHeader(input, path);
        var reader = new EmbeddedBrokerLogFormat.FrameReader(input);
        var state = new LogState();
        while (reader.TryRead(long.MaxValue, out var frame))
        {
            state.LargestFrame = Math.Max(state.LargestFrame, frame.Size);
            switch (frame.Tag)
            {
                case EmbeddedBrokerLogFormat.TopicTag:
                    state.SetTopic(EmbeddedBrokerLogFormat.ReadTopic(frame.Payload), frame.Size);
                    break;
                case EmbeddedBrokerLogFormat.BatchTag:
                    var (topic, partition, end, count) = EmbeddedBrokerLogFormat.ReadBatchHeader(frame.Payload);
                    state.AddBatch((topic, partition), end, frame.Size);
                    state.Records += count;
                    break;
                case EmbeddedBrokerLogFormat.ExtentTag:
                    var extent = EmbeddedBrokerLogFormat.ReadExtent(frame.Payload);
                    state.SetExtent((extent.Topic, extent.Partition), extent.LogStartOffset, extent.EndOffset, frame.Size);
                    break;
                case EmbeddedBrokerLogFormat.GroupTag:
                    var group = EmbeddedBrokerLogFormat.ReadGroup(frame.Payload);
                    state.SetGroup((group.Group, group.Topic, group.Partition), group.Offset, frame.Size);
                    break;
            }
        }
        state.Length = reader.ValidLength;
        stopReason = reader.ValidLength < input.Length ? reader.StopReason : null;
        return state;
    }

    /// <summary>Writes a whole log through a temporary file renamed into place, so a crash mid-write leaves the old one.</summary>
    internal static void WriteAtomically(string path, Action<EmbeddedBrokerLogFormat.FrameWriter> write)
    {
        var temporary = path + ".tmp";
        try
        {
            using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                EmbeddedBrokerLogFormat.WriteHeader(file);
                write(new EmbeddedBrokerLogFormat.FrameWriter(file));
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>Replays the log into the broker and rewrites it in the broker's new numbering.</summary>
    private static void Restore(EmbeddedKafkaBroker broker, string path, ILogger logger, CancellationToken ct)
    {
        var started = Stopwatch.StartNew();
        var state = Scan(path, out var stopReason);
        var fileLength = new FileInfo(path).Length;
        if (stopReason is not null)
            logger.LogWarning("Embedded broker log {Path}: dropped its last {Bytes} bytes, {Reason} (a save cut short by a crash)",
                path, fileLength - state.Length, stopReason);
        if (state.Topics.Count == 0 && state.Length == fileLength) return;

        broker.CreateTopics(state.Topics.Values.Select(t => (t.Name, t.Partitions, t.ReplicationFactor)).ToList());
        var createMs = started.ElapsedMilliseconds;
        var partitions = state.Topics.Values.SelectMany(t => Enumerable.Range(0, t.Partitions).Select(p => new TopicPartition(t.Name, new Partition(p)))).ToList();

        // Committed offsets waiting for the record they point at, per partition, lowest first.
        var pending = state.Groups
            .Where(g => state.Topics.TryGetValue(g.Key.Topic, out var t) && g.Key.Partition < t.Partitions)
            .GroupBy(g => (g.Key.Topic, g.Key.Partition))
            .ToDictionary(g => g.Key, g => new Queue<(long Offset, string Group)>(g.Select(x => (x.Value.Offset, x.Key.Group)).OrderBy(x => x.Offset)));
        var moved = new Dictionary<string, List<TopicPartitionOffset>>(StringComparer.Ordinal);
        void Move((string Topic, int Partition) key, long newOffset, Func<long, bool> reached)
        {
            if (!pending.TryGetValue(key, out var queue)) return;
            while (queue.Count > 0 && reached(queue.Peek().Offset))
            {
                var (_, group) = queue.Dequeue();
                if (!moved.TryGetValue(group, out var list)) moved[group] = list = [];
                list.Add(new TopicPartitionOffset(key.Topic, new Partition(key.Partition), new Offset(newOffset)));
            }
        }

        var restored = new Dictionary<(string, int), long>();
        var lastOriginal = new Dictionary<(string, int), long>();
        long total = 0, produceMs = 0, flushMs = 0;
        // Written through a temporary file: only once it is complete does the renumbered log replace the one it comes
        // from, so a crash before that restores the old one again.
        WriteAtomically(path, frames =>
        {
            foreach (var topic in state.Topics.Values.OrderBy(t => t.Name, StringComparer.Ordinal)) frames.WriteTopic(topic);
            using (var producer = KafkaClients.BuildProducer(ProducerConfig(broker.BootstrapServers, (int)Math.Min(state.LargestFrame, int.MaxValue))))
            {
                RequireEmpty(broker.BootstrapServers, partitions, path);
                // Learn every topic's leaders before producing: records for a topic the producer has not seen yet wait about
                // a second for its first metadata.
                using (var metadata = new DependentAdminClientBuilder(producer.Handle).Build()) metadata.GetMetadata(RequestTimeout);
                var delivery = new DeliveryTracker();
                using var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
                input.Seek(EmbeddedBrokerLogFormat.HeaderLength, SeekOrigin.Begin);
                var reader = new EmbeddedBrokerLogFormat.FrameReader(input);
                var renumbered = new List<SnapshotRecord>();
                while (reader.TryRead(state.Length, out var frame))
                {
                    ct.ThrowIfCancellationRequested();
                    delivery.ThrowIfFailed();
                    if (frame.Tag != EmbeddedBrokerLogFormat.BatchTag) continue;
                    var (topic, partition, _, records) = EmbeddedBrokerLogFormat.ReadBatch(frame.Payload);
                    var key = (topic, partition);
                    if (!state.Topics.TryGetValue(topic, out var known) || partition >= known.Partitions) continue;
                    var logStart = state.Partitions[key].LogStart;
                    var next = restored.GetValueOrDefault(key);
                    var last = lastOriginal.GetValueOrDefault(key, -1);
                    var tp = new TopicPartition(topic, new Partition(partition));
                    renumbered.Clear();
                    foreach (var record in records)
                    {
                        // Below the log start the broker had dropped it; at or below the last one it is a repeat.
                        if (record.Offset < logStart || record.Offset <= last) continue;
                        last = record.Offset;
                        // The committed offset points at the first record at or after it; that record's new offset is its index.
                        Move(key, next, committed => committed <= record.Offset);
                        Produce(producer, tp, record, next, delivery);
                        renumbered.Add(record with { Offset = next });
                        next++;
                    }
                    if (renumbered.Count == 0) continue;
                    restored[key] = next;
                    lastOriginal[key] = last;
                    total += renumbered.Count;
                    frames.WriteBatch(topic, partition, next, renumbered);
                }
                produceMs = started.ElapsedMilliseconds - createMs;
                producer.Flush(ct);
                flushMs = started.ElapsedMilliseconds - createMs - produceMs;
                delivery.ThrowIfFailed();
                if (delivery.Delivered != total)
                    throw new InvalidOperationException($"Restoring the embedded broker delivered {delivery.Delivered} of {total} records.");
            }
            foreach (var key in pending.Keys.ToList()) Move(key, restored.GetValueOrDefault(key), _ => true);

            // The mock keeps at most 5 MiB / 100 000 batches per partition; one restored right at that limit loses its
            // first records again, and the log says so.
            using (var consumer = KafkaClients.BuildConsumer(ReaderConfig(broker.BootstrapServers)))
            {
                var starts = ListOffsets(consumer, partitions, Offset.Beginning, ct);
                foreach (var (tp, start) in starts.Where(s => s.Value > 0))
                {
                    logger.LogWarning("Embedded broker restore: {Topic}[{Partition}] exceeded the embedded broker's per-partition limit; its first {Dropped} records were dropped again",
                        tp.Topic, tp.Partition.Value, start);
                    frames.WriteExtent(tp.Topic, tp.Partition.Value, start, restored.GetValueOrDefault((tp.Topic, tp.Partition.Value)));
                }
                consumer.Close();
            }
            foreach (var (group, offsets) in moved)
            {
                CommitGroup(broker.BootstrapServers, group, offsets);
                foreach (var o in offsets) frames.WriteGroup(new SnapshotGroupOffset(group, o.Topic, o.Partition.Value, o.Offset.Value));
            }
        });
        logger.LogInformation("Restored the embedded Kafka broker from {Path}: {Topics} topics, {Records} records, {Offsets} committed offsets of {Groups} groups in {Elapsed} ms ({CreateMs} ms creating topics, {ProduceMs} ms reading and producing, {FlushMs} ms waiting for the broker)",
            path, state.Topics.Count, total, moved.Values.Sum(l => l.Count), moved.Count, started.ElapsedMilliseconds, createMs, produceMs, flushMs);
    }

    /// <summary>The restore numbers records from 0 and moves committed offsets accordingly, which only holds when
    /// the partitions start empty: a broker already in use is refused rather than mixed.</summary>
    private static void RequireEmpty(string bootstrap, List<TopicPartition> partitions, string path)
    {
        if (partitions.Count == 0) return;
        using var consumer = KafkaClients.BuildConsumer(ReaderConfig(bootstrap));
        var taken = ListOffsets(consumer, partitions, Offset.End, CancellationToken.None).FirstOrDefault(p => p.Value > 0);
        consumer.Close();
        if (taken.Key is not null)
            throw new InvalidOperationException($"Cannot restore the embedded broker from '{path}': {taken.Key} already holds records. " +
                "Restore runs on a freshly started broker, before anything else uses it.");
    }

    /// <summary>Every partition's log-start or end offset, asked as one batched ListOffsets (one request per leader)
    /// instead of a watermark query per partition. The protocol takes -2 (earliest) and -1 (latest) in place of a
    /// timestamp, which is how offsetsForTimes carries them. A partition briefly without a leader is asked again.</summary>
    private static Dictionary<TopicPartition, long> ListOffsets(IConsumer<byte[]?, byte[]?> consumer, List<TopicPartition> partitions, Offset logical,
        CancellationToken ct)
    {
        if (partitions.Count == 0) return new();
        var attempt = 0;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                return consumer.OffsetsForTimes(partitions.Select(tp => new TopicPartitionTimestamp(tp, new Timestamp(logical.Value, TimestampType.CreateTime))), RequestTimeout)
                    .ToDictionary(o => o.TopicPartition, o => o.Offset.Value < 0
                        ? throw new KafkaException(new Error(ErrorCode.Local_Fail, $"{o.TopicPartition} has no {(logical == Offset.End ? "end" : "start")} offset"))
                        : o.Offset.Value);
            }
            catch (KafkaException) when (++attempt < 5)
            {
                ct.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(200));
            }
        }
    }

    private static void Produce(IProducer<byte[]?, byte[]?> producer, TopicPartition partition, SnapshotRecord record, long expectedOffset, DeliveryTracker delivery)
    {
        var message = new Message<byte[]?, byte[]?>
        {
            Key = record.Key,
            Value = record.Value,
            // The producer only sets create time; a log-append time is carried over as create time.
            Timestamp = (TimestampType)record.TimestampType == TimestampType.NotAvailable
                ? Timestamp.Default
                : new Timestamp(record.TimestampMs, TimestampType.CreateTime),
        };
        if (record.Headers.Count > 0)
        {
            message.Headers = new Headers();
            foreach (var (name, value) in record.Headers) message.Headers.Add(name, value);
        }
        while (true)
        {
            try
            {
                producer.Produce(partition, message, report => delivery.OnDelivered(report, expectedOffset));
                return;
            }
            catch (ProduceException<byte[]?, byte[]?> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                // The local queue is full: let some of it drain.
                producer.Flush(TimeSpan.FromMilliseconds(100));
                delivery.ThrowIfFailed();
            }
        }
    }

    private static void CommitGroup(string bootstrap, string group, List<TopicPartitionOffset> offsets)
    {
        using var consumer = KafkaClients.BuildConsumer(GroupConfig(bootstrap, group));
        try
        {
            // Not a group member: the broker takes explicit commits from a client outside the (empty) group.
            consumer.Commit(offsets);
            var committed = consumer.Committed(offsets.Select(o => o.TopicPartition), RequestTimeout);
            var wrong = offsets.Where(o => committed.FirstOrDefault(c => c.TopicPartition == o.TopicPartition)?.Offset != o.Offset).ToList();
            if (wrong.Count > 0)
                throw new InvalidOperationException($"Restoring consumer group '{group}': the broker did not keep the committed offsets for {string.Join(", ", wrong)}.");
        }
        finally
        {
            consumer.Close();
        }
    }

    private sealed class DeliveryTracker
    {
        private long _delivered;
        private string? _failure;

        public long Delivered => Interlocked.Read(ref _delivered);

        public void OnDelivered(DeliveryReport<byte[]?, byte[]?> report, long expectedOffset)
        {
            if (report.Error.IsError)
                Interlocked.CompareExchange(ref _failure, $"{report.TopicPartition}: {report.Error.Reason} ({report.Error.Code})", null);
            else if (report.Offset.Value != expectedOffset)
                Interlocked.CompareExchange(ref _failure, $"{report.TopicPartition}: record landed at offset {report.Offset.Value}, expected {expectedOffset}", null);
            else
                Interlocked.Increment(ref _delivered);
        }

        public void ThrowIfFailed()
        {
            var failure = Volatile.Read(ref _failure);
            if (failure is not null) throw new InvalidOperationException("Restoring the embedded broker failed: " + failure);
        }
    }

    private static Dictionary<string, string> ReaderConfig(string bootstrap) => new()
    {
        ["bootstrap.servers"] = bootstrap,
        // Required by the client; this consumer only uses assign() and never joins or commits.
        ["group.id"] = "orleansconnect-snapshot-" + Guid.NewGuid().ToString("N"),
        ["enable.auto.commit"] = "false",
        ["enable.auto.offset.store"] = "false",
        ["enable.partition.eof"] = "true",
        ["isolation.level"] = "read_committed",
        ["auto.offset.reset"] = "earliest",
        // A save reads what is already there: a fetch that finds a partition at its end should answer at once,
        // not hold the reader for the default 500 ms.
        ["fetch.wait.max.ms"] = "10",
        ["fetch.error.backoff.ms"] = "50",
        ["log_level"] = "3",
    };

    private static Dictionary<string, string> GroupConfig(string bootstrap, string group) => new()
    {
        ["bootstrap.servers"] = bootstrap,
        ["group.id"] = group,
        ["enable.auto.commit"] = "false",
        ["enable.auto.offset.store"] = "false",
        ["log_level"] = "3",
    };

    private static Dictionary<string, string> ProducerConfig(string bootstrap, int largestRecordBytes) => new()
    {
        ["bootstrap.servers"] = bootstrap,
        // Idempotence keeps each partition's order through retries, so offsets come out 0, 1, 2, … as in the file.
        ["enable.idempotence"] = "true",
        ["acks"] = "all",
        ["linger.ms"] = "5",
        // As the silo's own producers on this broker: compressed, a partition holds about as many records as it did
        // (the mock keeps 5 MiB of batches per partition).
        ["compression.type"] = "lz4",
        ["message.max.bytes"] = Math.Clamp(largestRecordBytes + (64 << 10), 1_000_000, 1_000_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["log_level"] = "3",
    };

    internal static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Closes the file and the log's Kafka clients; call before the broker is disposed.</summary>
    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (_disposed) return;
            _disposed = true;
            var (admin, reader) = (_admin, _reader);
            if (reader is not null)
                await KafkaBlocking.Run(() =>
                {
                    admin?.Dispose();
                    reader.Close();
                    reader.Dispose();
                });
            if (_file is not null) await _file.DisposeAsync();
        }
        finally
        {
            _gate.Release();
        }
    }
}
