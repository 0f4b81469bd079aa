namespace OrleansConnect.Grains.Metrics;

/// <summary>The average and maximum of values recorded over Connect's sample window: two samples of 30 s
/// (metrics.num.samples and metrics.sample.window.ms), so a value counts for 30 to 60 s. With nothing recorded in the
/// window both are NaN, as Connect's are. Recorded once per batch or commit, never per record.</summary>
public sealed class WindowedStat(long sampleWindowMs = WindowedStat.SampleWindowMs, int samples = WindowedStat.Samples)
{
    public const long SampleWindowMs = 30_000;
    public const int Samples = 2;

    private readonly Sample[] _samples = new Sample[samples];
    private readonly Lock _gate = new();
    private int _current;

    private struct Sample
    {
        public long StartMs;
        public long Count;
        public double Sum;
        public double Max;
    }

    public void Record(double value, long nowMs)
    {
        lock (_gate)
        {
            ref var sample = ref _samples[_current];
            if (sample.Count == 0 || nowMs - sample.StartMs >= sampleWindowMs)
            {
                if (sample.Count != 0) _current = (_current + 1) % _samples.Length;
                sample = ref _samples[_current];
                sample = new Sample { StartMs = nowMs, Max = double.MinValue };
            }
            sample.Count++;
            sample.Sum += value;
            if (value > sample.Max) sample.Max = value;
        }
    }

    public (double Avg, double Max) Measure(long nowMs)
    {
        lock (_gate)
        {
            long count = 0;
            double sum = 0, max = double.MinValue;
            foreach (var sample in _samples)
            {
                // A sample counts until it is a whole window past its own window's end.
                if (sample.Count == 0 || nowMs - sample.StartMs >= sampleWindowMs * _samples.Length) continue;
                count += sample.Count;
                sum += sample.Sum;
                max = Math.Max(max, sample.Max);
            }
            return count == 0 ? (double.NaN, double.NaN) : (sum / count, max);
        }
    }
}
