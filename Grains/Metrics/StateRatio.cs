namespace OrleansConnect.Grains.Metrics;

/// <summary>The share of the last minute a task spent RUNNING and PAUSED (Connect's running-ratio and pause-ratio),
/// from its state changes. A task counts from when its loop started, so a task started 10 s ago and running since has
/// a running ratio of 1.</summary>
public sealed class StateRatio(long startMs, long windowMs = WindowedStat.SampleWindowMs * WindowedStat.Samples)
{
    private readonly List<(long AtMs, string State)> _changes = [(startMs, "")];
    private readonly Lock _gate = new();

    public void Changed(string state, long nowMs)
    {
        lock (_gate)
        {
            if (_changes[^1].State == state) return;
            _changes.Add((nowMs, state));
            // Keep the last change before the window: it says what the state was when the window began.
            while (_changes.Count > 2 && nowMs - _changes[1].AtMs >= windowMs) _changes.RemoveAt(0);
        }
    }

    public double Measure(string state, long nowMs)
    {
        lock (_gate)
        {
            var windowStart = Math.Max(nowMs - windowMs, _changes[0].AtMs);
            if (nowMs <= windowStart) return 0;
            long inState = 0;
            for (var i = 0; i < _changes.Count; i++)
            {
                var from = Math.Max(_changes[i].AtMs, windowStart);
                var to = i + 1 < _changes.Count ? _changes[i + 1].AtMs : nowMs;
                if (_changes[i].State == state && to > from) inState += to - from;
            }
            return (double)inState / (nowMs - windowStart);
        }
    }
}
