using System.Collections.Concurrent;

namespace OrleansConnect.Runtime.Tests.Grains;

/// <summary>What test grains observed, keyed by grain key (tests use unique keys, so parallel tests don't mix).</summary>
public sealed class Probe
{
    private static readonly ConcurrentDictionary<string, Probe> All = new();

    public static Probe For(string key) => All.GetOrAdd(key, _ => new Probe());

    private int _inside;

    public int Activations;
    public int Overlaps;
    public int TimerTicks;

    /// <summary>How long a test grain's OnDeactivateAsync takes (widens the window in which a moving grain is in flight).</summary>
    public TimeSpan DeactivationDelay;
    public ConcurrentQueue<DeactivationReason> Deactivations { get; } = new();
    public ConcurrentQueue<string> Events { get; } = new();
    public ConcurrentQueue<(string Silo, string Reminder, TickStatus Status)> ReminderTicks { get; } = new();

    /// <summary>Marks a turn's start; records an overlap if another turn of the same grain is inside.</summary>
    public void Enter()
    {
        if (Interlocked.Increment(ref _inside) != 1) Interlocked.Increment(ref Overlaps);
    }

    public void Exit() => Interlocked.Decrement(ref _inside);
}
