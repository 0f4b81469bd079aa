namespace OrleansConnect.Grains.Metrics;

/// <summary>The per-second rate of a running total over about the last minute (Connect's two 30 s samples). The hot
/// path only adds to the total; the rate is worked out when it is read, from checkpoints of the total that the reads
/// leave behind, so it costs nothing per record.</summary>
public sealed class CounterRate(long startMs, long windowMs = WindowedStat.SampleWindowMs * WindowedStat.Samples)
{
    private readonly Queue<(long AtMs, long Total)> _checkpoints = new([(startMs, 0)]);
    private readonly Lock _gate = new();

    /// <summary>Events per second: the growth of <paramref name="total"/> since the newest checkpoint at least a window
    /// old (or since the task started, in its first minute).</summary>
    public double Measure(long total, long nowMs)
    {
        lock (_gate)
        {
            while (_checkpoints.Count > 1 && nowMs - _checkpoints.ElementAt(1).AtMs >= windowMs) _checkpoints.Dequeue();
            var (atMs, then) = _checkpoints.Peek();
            // A checkpoint a second at most: scrapes and the console can read as often as they like.
            if (nowMs - _checkpoints.Last().AtMs >= 1000) _checkpoints.Enqueue((nowMs, total));
            // As Kafka's Rate: never over less than all but one sample (30 s), so a task's first seconds read low, not
            // wild (3 records in its first 0.9 s are 0.1/s, not 3.3/s).
            var elapsed = Math.Max(nowMs - atMs, windowMs - windowMs / WindowedStat.Samples);
            return (total - then) * 1000.0 / elapsed;
        }
    }
}
