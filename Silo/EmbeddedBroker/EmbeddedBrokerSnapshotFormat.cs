using System.Text;

using OrleansConnect.Grains.Kafka;

namespace OrleansConnect.Silo.EmbeddedBroker;

/// <summary>One topic as the snapshot keeps it.</summary>
internal sealed record SnapshotTopic(string Name, int Partitions, int ReplicationFactor);

/// <summary>A group's committed offset for one partition, in the offsets of the snapshotted broker.</summary>
internal sealed record SnapshotGroupOffset(string Group, string Topic, int Partition, long Offset);

/// <summary>Where a partition's records start in the snapshot: its log-start and end offsets on the old broker.</summary>
internal sealed record SnapshotPartition(string Topic, int Partition, long LogStartOffset, long EndOffset);

/// <summary>One record as read from the old broker. <see cref="Offset"/> is its offset there; headers keep their order
/// and may repeat a key; a null key, value or header value stays null (distinct from empty).</summary>
internal sealed record SnapshotRecord(long Offset, byte TimestampType, long TimestampMs, byte[]? Key, byte[]? Value,
    IReadOnlyList<KeyValuePair<string, byte[]?>> Headers);

/// <summary>The snapshot file: a magic number and format version, then tagged sections in a fixed order —
/// every group offset, every topic, then each partition (header, its records, an end mark with the record count),
/// then a final mark with the total record count. A file without that final mark is incomplete and rejected.
/// Integers are little-endian; strings are length-prefixed UTF-8; byte arrays carry a length, -1 for null.</summary>
internal static class EmbeddedBrokerSnapshotFormat
{
    public const int Version = 1;
    private static readonly byte[] Magic = "OCEKSNAP"u8.ToArray();

    public const byte GroupTag = (byte)'G';
    public const byte TopicTag = (byte)'T';
    public const byte PartitionTag = (byte)'P';
    public const byte RecordTag = (byte)'R';
    public const byte PartitionEndTag = (byte)'E';
    public const byte EndTag = (byte)'Z';

    public sealed class Writer(Stream stream) : IDisposable
    {
        private readonly BinaryWriter _out = new(stream, new UTF8Encoding(false, true), leaveOpen: true);

        public void WriteHeader(DateTimeOffset createdAt)
        {
            _out.Write(Magic);
            _out.Write(Version);
            _out.Write(createdAt.ToUnixTimeMilliseconds());
        }

        public void WriteGroupOffset(SnapshotGroupOffset offset)
        {
            _out.Write(GroupTag);
            _out.Write(offset.Group);
            _out.Write(offset.Topic);
            _out.Write(offset.Partition);
            _out.Write(offset.Offset);
        }

        public void WriteTopic(SnapshotTopic topic)
        {
            _out.Write(TopicTag);
            _out.Write(topic.Name);
            _out.Write(topic.Partitions);
            _out.Write(topic.ReplicationFactor);
        }

        public void WritePartition(SnapshotPartition partition)
        {
            _out.Write(PartitionTag);
            _out.Write(partition.Topic);
            _out.Write(partition.Partition);
            _out.Write(partition.LogStartOffset);
            _out.Write(partition.EndOffset);
        }

        public void WriteRecord(long offset, byte timestampType, long timestampMs, byte[]? key, byte[]? value, IEnumerable<KeyValuePair<string, byte[]?>> headers)
        {
            _out.Write(RecordTag);
            _out.Write(offset);
            _out.Write(timestampType);
            _out.Write(timestampMs);
            WriteBytes(key);
            WriteBytes(value);
            var list = headers as IReadOnlyCollection<KeyValuePair<string, byte[]?>> ?? headers.ToList();
            _out.Write(list.Count);
            foreach (var (name, headerValue) in list)
            {
                _out.Write(name);
                WriteBytes(headerValue);
            }
        }

        public void WritePartitionEnd(long recordCount)
        {
            _out.Write(PartitionEndTag);
            _out.Write(recordCount);
        }

        public void WriteEnd(long totalRecords)
        {
            _out.Write(EndTag);
            _out.Write(totalRecords);
            _out.Flush();
        }

        private void WriteBytes(byte[]? bytes)
        {
            if (bytes is null) { _out.Write(-1); return; }
            _out.Write(bytes.Length);
            _out.Write(bytes);
        }

        public void Dispose() => _out.Dispose();
    }

    /// <summary>Reads a snapshot front to back, checking the structure as it goes; any damage is an
    /// <see cref="InvalidDataException"/> naming what was wrong and where.</summary>
    public sealed class Reader : IDisposable
    {
        private readonly Stream _stream;
        private readonly BinaryReader _in;
        private readonly string _path;

        public Reader(Stream stream, string path)
        {
            _stream = stream;
            _path = path;
            _in = new BinaryReader(stream, new UTF8Encoding(false, true), leaveOpen: true);
        }

        public DateTimeOffset ReadHeader()
        {
            var magic = ReadExactly(Magic.Length, "the magic number");
            if (!magic.AsSpan().SequenceEqual(Magic))
                throw Damaged("it does not start with the snapshot magic number (not a snapshot file)");
            var version = Guard(() => _in.ReadInt32(), "the format version");
            if (version != Version)
                throw Damaged($"it has format version {version}; this build reads version {Version}");
            return DateTimeOffset.FromUnixTimeMilliseconds(Guard(() => _in.ReadInt64(), "the creation time"));
        }

        /// <summary>The next section's tag.</summary>
        public byte ReadTag() => Guard(() => _in.ReadByte(), "a section tag");

        public SnapshotGroupOffset ReadGroupOffset() => Guard(() =>
            new SnapshotGroupOffset(_in.ReadString(), _in.ReadString(), _in.ReadInt32(), _in.ReadInt64()), "a group offset");

        public SnapshotTopic ReadTopic()
        {
            var topic = Guard(() => new SnapshotTopic(_in.ReadString(), _in.ReadInt32(), _in.ReadInt32()), "a topic");
            if (topic.Name.Length == 0 || topic.Partitions <= 0 || topic.ReplicationFactor <= 0)
                throw Damaged($"topic '{topic.Name}' has {topic.Partitions} partitions and replication factor {topic.ReplicationFactor}");
            return topic;
        }

        public SnapshotPartition ReadPartition() => Guard(() =>
            new SnapshotPartition(_in.ReadString(), _in.ReadInt32(), _in.ReadInt64(), _in.ReadInt64()), "a partition header");

        public SnapshotRecord ReadRecord() => Guard(() =>
        {
            var offset = _in.ReadInt64();
            var timestampType = _in.ReadByte();
            var timestampMs = _in.ReadInt64();
            var key = ReadBytes();
            var value = ReadBytes();
            var count = _in.ReadInt32();
            if (count < 0 || count > _stream.Length - _stream.Position)
                throw Damaged($"a record claims {count} headers");
            var headers = new List<KeyValuePair<string, byte[]?>>(count);
            for (var i = 0; i < count; i++)
                headers.Add(new(_in.ReadString(), ReadBytes()));
            return new SnapshotRecord(offset, timestampType, timestampMs, key, value, headers);
        }, "a record");

        public long ReadCount() => Guard(() => _in.ReadInt64(), "a record count");

        public bool AtEndOfFile => _stream.Position == _stream.Length;

        public InvalidDataException Damaged(string what) =>
            new($"The embedded broker snapshot '{_path}' is unreadable: {what} (at byte {_stream.Position}). It was left in place; " +
                "move it away to start with an empty broker.");

        private byte[]? ReadBytes()
        {
            var length = _in.ReadInt32();
            if (length == -1) return null;
            if (length < 0 || length > _stream.Length - _stream.Position)
                throw Damaged($"a field claims {length} bytes");
            return _in.ReadBytes(length);
        }

        private byte[] ReadExactly(int count, string what) => Guard(() =>
        {
            var bytes = _in.ReadBytes(count);
            return bytes.Length == count ? bytes : throw new EndOfStreamException();
        }, what);

        private T Guard<T>(Func<T> read, string what)
        {
            try
            {
                return read();
            }
            catch (EndOfStreamException)
            {
                throw Damaged($"it ends in the middle of {what} (truncated)");
            }
            catch (Exception e) when (e is FormatException or DecoderFallbackException or IOException and not EndOfStreamException)
            {
                throw Damaged($"{what} could not be read ({e.Message})");
            }
        }

        public void Dispose() => _in.Dispose();
    }
}
