using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

using OrleansConnect.Grains.Kafka;

namespace OrleansConnect.Silo.EmbeddedBroker;

/// <summary>The embedded broker's log file (<see cref="EmbeddedBrokerLog"/>): a 12-byte header (magic number, format
/// version), then frames, each an int32 payload length, the payload's CRC-32 and the payload. A payload starts with its
/// tag:
/// <list type="bullet">
/// <item><c>T</c> a topic: name, partition count, replication factor (a later one for the same name replaces it);</item>
/// <item><c>B</c> a batch: topic, partition, the end offset the read reached, then records in offset order (each offset,
/// timestamp type and time, key, value, headers);</item>
/// <item><c>X</c> a partition's extent: its log-start and end offsets (records below the log start were dropped by the
/// broker's retention and are not restored);</item>
/// <item><c>G</c> a group's committed offset for one partition, -1 once it is gone (the latest one counts).</item>
/// </list>
/// Frames are only ever appended, and a whole file is only ever replaced by a rename, so damage can only be a tail torn
/// by a crash mid-append: the reader stops at the first frame that is incomplete or fails its checksum.
/// Integers are little-endian; strings are length-prefixed UTF-8; byte arrays carry a length, -1 for null.</summary>
internal static class EmbeddedBrokerLogFormat
{
    public const int Version = 1;
    public const int HeaderLength = 12;
    public const int FrameHeaderLength = 8;
    /// <summary>A batch frame is cut at about this many payload bytes (a single larger record gets a frame of its own).</summary>
    public const int BatchTargetBytes = 1 << 20;
    // Anything longer is not a frame this writer made: the mock's own limit on a record is far below it.
    private const int MaxFrameLength = 1 << 30;
    private static readonly byte[] Magic = "OCEKLOG\n"u8.ToArray();

    public const byte TopicTag = (byte)'T';
    public const byte BatchTag = (byte)'B';
    public const byte ExtentTag = (byte)'X';
    public const byte GroupTag = (byte)'G';

    private static readonly UTF8Encoding Utf8 = new(false, true);

    public static void WriteHeader(Stream output)
    {
        Span<byte> header = stackalloc byte[HeaderLength];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], Version);
        output.Write(header);
    }

    /// <summary>Checks the header; a file that is not a log of this version is an <see cref="InvalidDataException"/>
    /// (a header is never torn: files are created complete and renamed into place).</summary>
    public static void ReadHeader(Stream input, string path)
    {
        Span<byte> header = stackalloc byte[HeaderLength];
        if (input.ReadAtLeast(header, HeaderLength, throwOnEndOfStream: false) < HeaderLength || !header[..8].SequenceEqual(Magic))
            throw new InvalidDataException($"'{path}' is not an embedded broker log (it does not start with its magic number). " +
                "It was left in place; move it away to start with an empty broker.");
        var version = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
        if (version != Version)
            throw new InvalidDataException($"'{path}' has log format version {version}; this build reads version {Version}.");
    }

    /// <summary>Encodes frames into a stream. Each Write returns the frame's size on disk.</summary>
    public sealed class FrameWriter
    {
        private readonly Stream _output;
        private readonly MemoryStream _payload = new();
        private readonly BinaryWriter _out;
        private readonly byte[] _header = new byte[FrameHeaderLength];

        public FrameWriter(Stream output)
        {
            _output = output;
            _out = new BinaryWriter(_payload, Utf8, leaveOpen: true);
        }

        private BinaryWriter Begin(byte tag)
        {
            _out.Flush();
            _payload.SetLength(0);
            _payload.Position = 0;
            _out.Write(tag);
            return _out;
        }

        private long End()
        {
            _out.Flush();
            var payload = _payload.GetBuffer().AsSpan(0, (int)_payload.Length);
            BinaryPrimitives.WriteInt32LittleEndian(_header, payload.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(_header.AsSpan(4), Crc32.HashToUInt32(payload));
            _output.Write(_header);
            _output.Write(payload);
            return FrameHeaderLength + payload.Length;
        }

        public long WriteTopic(SnapshotTopic topic)
        {
            var w = Begin(TopicTag);
            w.Write(topic.Name);
            w.Write(topic.Partitions);
            w.Write(topic.ReplicationFactor);
            return End();
        }

        public long WriteBatch(string topic, int partition, long endOffset, IReadOnlyList<SnapshotRecord> records)
        {
            var w = Begin(BatchTag);
            w.Write(topic);
            w.Write(partition);
            w.Write(endOffset);
            w.Write(records.Count);
            foreach (var r in records)
            {
                w.Write(r.Offset);
                w.Write(r.TimestampType);
                w.Write(r.TimestampMs);
                WriteBytes(w, r.Key);
                WriteBytes(w, r.Value);
                w.Write(r.Headers.Count);
                foreach (var (name, value) in r.Headers)
                {
                    w.Write(name);
                    WriteBytes(w, value);
                }
            }
            return End();
        }

        public long WriteExtent(string topic, int partition, long logStartOffset, long endOffset)
        {
            var w = Begin(ExtentTag);
            w.Write(topic);
            w.Write(partition);
            w.Write(logStartOffset);
            w.Write(endOffset);
            return End();
        }

        public long WriteGroup(SnapshotGroupOffset offset)
        {
            var w = Begin(GroupTag);
            w.Write(offset.Group);
            w.Write(offset.Topic);
            w.Write(offset.Partition);
            w.Write(offset.Offset);
            return End();
        }

        private static void WriteBytes(BinaryWriter w, byte[]? bytes)
        {
            if (bytes is null) { w.Write(-1); return; }
            w.Write(bytes.Length);
            w.Write(bytes);
        }
    }

    /// <summary>One frame as read: where it starts in the file, its size there, and its payload (valid until the next read).</summary>
    public readonly record struct Frame(long Position, long Size, byte Tag, ReadOnlyMemory<byte> Payload);

    /// <summary>Reads frames front to back and stops at the first one that is incomplete or damaged; <see cref="ValidLength"/>
    /// is then where the intact part of the file ends and <see cref="StopReason"/> says what was found there.</summary>
    public sealed class FrameReader(Stream input)
    {
        private byte[] _buffer = new byte[64 << 10];
        private readonly byte[] _header = new byte[FrameHeaderLength];

        public long ValidLength { get; private set; } = input.Position;
        public string? StopReason { get; private set; }

        public bool TryRead(long limit, out Frame frame)
        {
            frame = default;
            var position = ValidLength;
            if (position >= limit) return false;
            var headerRead = input.ReadAtLeast(_header, FrameHeaderLength, throwOnEndOfStream: false);
            if (headerRead < FrameHeaderLength) return Stop($"a frame header torn after {headerRead} of {FrameHeaderLength} bytes");
            var length = BinaryPrimitives.ReadInt32LittleEndian(_header);
            var crc = BinaryPrimitives.ReadUInt32LittleEndian(_header.AsSpan(4));
            if (length < 1 || length > MaxFrameLength) return Stop($"a frame announcing {length} bytes");
            if (position + FrameHeaderLength + length > limit) return Stop($"a frame of {length} bytes of which {limit - position - FrameHeaderLength} are there");
            if (_buffer.Length < length) _buffer = new byte[Math.Max(length, _buffer.Length * 2)];
            var read = input.ReadAtLeast(_buffer.AsSpan(0, length), length, throwOnEndOfStream: false);
            if (read < length) return Stop($"a frame of {length} bytes of which {read} are there");
            var payload = _buffer.AsMemory(0, length);
            if (Crc32.HashToUInt32(payload.Span) != crc) return Stop("a frame whose checksum does not match");
            if (payload.Span[0] is not (TopicTag or BatchTag or ExtentTag or GroupTag)) return Stop($"a frame with unknown tag 0x{payload.Span[0]:x2}");
            frame = new Frame(position, FrameHeaderLength + length, payload.Span[0], payload);
            ValidLength = position + FrameHeaderLength + length;
            return true;
        }

        private bool Stop(string reason)
        {
            StopReason = reason;
            return false;
        }
    }

    public static SnapshotTopic ReadTopic(ReadOnlyMemory<byte> payload)
    {
        using var r = Open(payload);
        return new SnapshotTopic(r.ReadString(), r.ReadInt32(), r.ReadInt32());
    }

    public static SnapshotPartition ReadExtent(ReadOnlyMemory<byte> payload)
    {
        using var r = Open(payload);
        return new SnapshotPartition(r.ReadString(), r.ReadInt32(), r.ReadInt64(), r.ReadInt64());
    }

    public static SnapshotGroupOffset ReadGroup(ReadOnlyMemory<byte> payload)
    {
        using var r = Open(payload);
        return new SnapshotGroupOffset(r.ReadString(), r.ReadString(), r.ReadInt32(), r.ReadInt64());
    }

    /// <summary>A batch's partition, end offset and record count, without its records.</summary>
    public static (string Topic, int Partition, long EndOffset, int Count) ReadBatchHeader(ReadOnlyMemory<byte> payload)
    {
        using var r = Open(payload);
        return (r.ReadString(), r.ReadInt32(), r.ReadInt64(), r.ReadInt32());
    }

    public static (string Topic, int Partition, long EndOffset, List<SnapshotRecord> Records) ReadBatch(ReadOnlyMemory<byte> payload)
    {
        using var r = Open(payload);
        var (topic, partition, end, count) = (r.ReadString(), r.ReadInt32(), r.ReadInt64(), r.ReadInt32());
        var records = new List<SnapshotRecord>(count);
        for (var i = 0; i < count; i++)
        {
            var offset = r.ReadInt64();
            var timestampType = r.ReadByte();
            var timestampMs = r.ReadInt64();
            var key = ReadBytes(r);
            var value = ReadBytes(r);
            var headerCount = r.ReadInt32();
            var headers = new List<KeyValuePair<string, byte[]?>>(headerCount);
            for (var h = 0; h < headerCount; h++) headers.Add(new(r.ReadString(), ReadBytes(r)));
            records.Add(new SnapshotRecord(offset, timestampType, timestampMs, key, value, headers));
        }
        return (topic, partition, end, records);
    }

    /// <summary>A payload positioned after its tag. The checksum already vouched for its bytes, so a field that does not
    /// parse means a writer bug, and surfaces as an exception rather than a silent skip.</summary>
    private static BinaryReader Open(ReadOnlyMemory<byte> payload)
    {
        var stream = new MemoryStream(payload.ToArray(), writable: false);
        var reader = new BinaryReader(stream, Utf8, leaveOpen: false);
        reader.ReadByte();
        return reader;
    }

    private static byte[]? ReadBytes(BinaryReader r)
    {
        var length = r.ReadInt32();
        return length == -1 ? null : r.ReadBytes(length);
    }
}
