using System.Diagnostics;
using OrleansConnect.Grains.Kafka;

namespace OrleansConnect.Throughput;

/// <summary>What one stage's samples show. <see cref="First"/>: the first sample with a record out; the 10 % and
/// 90 % marks: the first samples at or past them, with the counts actually seen there (a sample may overshoot a mark,
/// so the rate uses the counts, not the marks). <see cref="Assigned"/>: when the consumer group first assigned
/// partitions, where that is observable. All times from the stage's start.</summary>
public sealed record Progress(TimeSpan First, TimeSpan At10, long Count10, TimeSpan At90, long Count90, TimeSpan Done, long Final, TimeSpan? Assigned)
{
    /// <summary>Records per second between the 10 % and 90 % marks; NaN when one sample jumped over both.</summary>
    public double SteadyRate => At90 > At10 ? (Count90 - Count10) / (At90 - At10).TotalSeconds : double.NaN;
}

/// <summary>Samples a growing count (a topic's watermarks, a file's lines) every few milliseconds until it reaches its
/// target. The loop runs on a dedicated thread (the counts are synchronous reads and Kafka calls), never on the
/// thread pool, and sleeps between samples: the interval bounds how late a mark is noticed.</summary>
public static class Sampler
{
    public static Task<Progress> RunAsync(Stopwatch clock, long target, TimeSpan interval, TimeSpan timeout, Func<long> count,
        Func<TimeSpan?>? assignment, Func<Exception?> failure, Func<string> describe, CancellationToken cancellationToken) =>
        KafkaBlocking.Run(() =>
        {
            TimeSpan? first = null, at10 = null, at90 = null, assigned = null;
            long count10 = 0, count90 = 0;
            var mark10 = (long)Math.Ceiling(target * 0.1);
            var mark90 = (long)Math.Ceiling(target * 0.9);
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var seen = count();
                var at = clock.Elapsed;
                if (assignment is not null && assigned is null) assigned = assignment();
                if (seen > 0) first ??= at;
                if (seen >= mark10 && at10 is null) (at10, count10) = (at, seen);
                if (seen >= mark90 && at90 is null) (at90, count90) = (at, seen);
                if (seen >= target)
                {
                    // The assignment is logged before the first record; one last look in case the log was late.
                    if (assignment is not null) assigned ??= assignment();
                    return new Progress(first!.Value, at10!.Value, count10, at90!.Value, count90, at, seen, assigned);
                }
                if (failure() is { } error) throw error;
                if (at > timeout) throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0} s waiting for {describe()} (at {seen}).");
                Thread.Sleep(interval);
            }
        }, cancellationToken);
}
