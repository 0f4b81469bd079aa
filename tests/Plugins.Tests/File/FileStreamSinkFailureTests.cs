using OrleansConnect.Plugins.File;
using Xunit;

namespace OrleansConnect.Tests.File;

/// <summary>A FileStreamSink batch whose write fails part-way (a full disk: the kernel takes what fits, then ENOSPC)
/// leaves the file ending on a complete line, so the batch written again after the task's restart is not glued to a
/// torn line (the fault run of issue 24 found <c>p5-0027554p5-0026750</c>).</summary>
public sealed class FileStreamSinkFailureTests : IDisposable
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), "oc-sink-full-" + Guid.NewGuid().ToString("N") + ".txt");

    public void Dispose() => System.IO.File.Delete(_file);

    [Fact]
    public async Task A_write_failing_mid_batch_leaves_the_file_ending_on_a_complete_line()
    {
        // Room for the first batch and a few bytes more: the second batch tears in its first line.
        var disk = new FullDisk(roomBytes: 40);
        var task = new FileStreamSinkTask(disk.Open);
        await task.StartAsync(new Dictionary<string, string> { ["file"] = _file }, CancellationToken.None);
        await task.PutAsync(Records(0, 2), CancellationToken.None);

        var failure = await Assert.ThrowsAsync<IOException>(() => task.PutAsync(Records(2, 3), CancellationToken.None));
        Assert.Contains("No space left on device", failure.Message);
        Assert.True(disk.TornWrites > 0, "the failing write wrote part of the batch first");
        Assert.Equal("p5-0000000\np5-0000001\n", await ReadAsync());

        // Space was freed; the restarted task writes the batch again, on a line of its own.
        disk.RoomBytes = long.MaxValue;
        await task.StopAsync(CancellationToken.None);
        var restarted = new FileStreamSinkTask(disk.Open);
        await restarted.StartAsync(new Dictionary<string, string> { ["file"] = _file }, CancellationToken.None);
        await restarted.PutAsync(Records(2, 3), CancellationToken.None);
        await restarted.StopAsync(CancellationToken.None);
        Assert.Equal(["p5-0000000", "p5-0000001", "p5-0000002", "p5-0000003", "p5-0000004", ""], (await ReadAsync()).Split('\n'));
    }

    private static List<Connect.Sink.SinkRecord> Records(int from, int count) =>
        Enumerable.Range(from, count).Select(i => TestRecords.SinkValue(null, $"p5-{i:D7}", offset: i)).ToList();

    private async Task<string> ReadAsync()
    {
        await using var stream = new FileStream(_file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync();
    }

    /// <summary>Files on a disk with <see cref="RoomBytes"/> free: a write beyond it writes what fits to the real file,
    /// then fails as write(2) fails with ENOSPC.</summary>
    private sealed class FullDisk(long roomBytes)
    {
        public long RoomBytes { get; set; } = roomBytes;
        public int TornWrites { get; private set; }

        public Stream Open(string file) =>
            new LimitedStream(this, new FileStream(file, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, 0, useAsync: true));

        private sealed class LimitedStream(FullDisk disk, FileStream inner) : Stream
        {
            public override bool CanRead => false;
            public override bool CanSeek => inner.CanSeek;
            public override bool CanWrite => true;
            public override long Length => inner.Length;
            public override long Position { get => inner.Position; set => inner.Position = value; }
            public override void SetLength(long value) => inner.SetLength(value);
            public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
            public override void Flush() => inner.Flush();
            public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
            public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
            public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("written asynchronously");

            public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
            {
                var room = Math.Max(0, disk.RoomBytes - inner.Length);
                if (buffer.Length <= room)
                {
                    await inner.WriteAsync(buffer, cancellationToken);
                    return;
                }
                await inner.WriteAsync(buffer[..(int)room], cancellationToken);
                disk.TornWrites++;
                throw new IOException("No space left on device : '" + inner.Name + "'");
            }

            protected override void Dispose(bool disposing)
            {
                if (disposing) inner.Dispose();
                base.Dispose(disposing);
            }

            public override async ValueTask DisposeAsync()
            {
                await inner.DisposeAsync();
                await base.DisposeAsync();
            }
        }
    }
}
