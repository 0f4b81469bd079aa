using OrleansConnect.Grains.Metrics;

namespace OrleansConnect.Tests.Metrics;

/// <summary>Connect's windowed statistics (two samples of 30 s) on a clock the test moves by hand.</summary>
public sealed class MetricWindowTests
{
    [Fact]
    public void Averages_and_maxima_cover_the_last_two_samples_and_are_NaN_without_any()
    {
        var stat = new WindowedStat();
        Assert.True(double.IsNaN(stat.Measure(0).Avg));
        Assert.True(double.IsNaN(stat.Measure(0).Max));

        stat.Record(10, 0);
        stat.Record(30, 1_000);
        Assert.Equal((20.0, 30.0), stat.Measure(2_000));
        // A second sample starts after 30 s; the first still counts.
        stat.Record(2, 31_000);
        Assert.Equal((14.0, 30.0), stat.Measure(31_000));
        // 60 s after it began the first sample is gone; the second one alone remains.
        Assert.Equal((2.0, 2.0), stat.Measure(60_000));
        // A third sample takes the first one's place.
        stat.Record(4, 62_000);
        Assert.Equal((3.0, 4.0), stat.Measure(62_000));
        Assert.True(double.IsNaN(stat.Measure(200_000).Avg));
    }

    [Fact]
    public void A_rate_spans_about_a_minute_and_never_less_than_thirty_seconds()
    {
        var rate = new CounterRate(startMs: 0);
        // 300 events in the first 10 s: over the 30 s minimum, not 30/s.
        Assert.Equal(10.0, rate.Measure(300, 10_000));
        // Steady 100/s for the next minute, read every 15 s (as a Prometheus scrape would).
        long total = 300;
        for (var now = 25_000L; now <= 70_000; now += 15_000)
        {
            total += 1_500;
            rate.Measure(total, now);
        }
        // From 85 s, the reads before the last minute drop out: only the 100/s stretch counts.
        total += 1_500;
        Assert.Equal(100.0, rate.Measure(total, 85_000), precision: 6);
        // Idle for two minutes: the rate falls to nothing.
        rate.Measure(total, 145_000);
        Assert.Equal(0.0, rate.Measure(total, 210_000));
    }

    [Fact]
    public void Running_and_pause_ratios_weigh_the_time_in_each_state()
    {
        var ratio = new StateRatio(startMs: 0);
        ratio.Changed("RUNNING", 0);
        ratio.Changed("PAUSED", 30_000);
        Assert.Equal(0.75, ratio.Measure("RUNNING", 40_000));
        Assert.Equal(0.25, ratio.Measure("PAUSED", 40_000));
        ratio.Changed("RUNNING", 45_000);
        // The last minute (30 s to 90 s): paused 15 s of it.
        Assert.Equal(0.75, ratio.Measure("RUNNING", 90_000));
        Assert.Equal(0.25, ratio.Measure("PAUSED", 90_000));
        Assert.Equal(1.0, ratio.Measure("RUNNING", 200_000));
        Assert.Equal(0.0, ratio.Measure("FAILED", 200_000));
    }
}
