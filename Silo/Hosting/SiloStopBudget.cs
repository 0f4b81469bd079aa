using System.Diagnostics;

namespace OrleansConnect.Silo.Hosting;

/// <summary>The time a stopping silo has: Docker sends SIGKILL 10 s after SIGTERM. Tasks share
/// task.shutdown.graceful.timeout.ms (5 s by default) to flush and commit (see <c>ConnectWorker.BeginShutdown</c>), the
/// rest of the grain runtime gets 2 s more, and the embedded broker's last save what is left.</summary>
public sealed class SiloStopBudget
{
    public static readonly TimeSpan Total = TimeSpan.FromSeconds(9.5);

    private readonly Stopwatch _stopping = new();

    public void Start()
    {
        lock (_stopping) if (!_stopping.IsRunning) _stopping.Start();
    }

    public TimeSpan Elapsed => _stopping.Elapsed;

    /// <summary>What is left of <see cref="Total"/> after <paramref name="reserve"/>, never negative.</summary>
    public TimeSpan Left(TimeSpan reserve = default)
    {
        var left = Total - reserve - _stopping.Elapsed;
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }
}
