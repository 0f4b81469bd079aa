namespace OrleansConnect.Silo.Hosting;

/// <summary>Holds <see cref="DataDirectoryLock"/> for the life of the process; it starts before anything that reads or
/// writes data.dir (the embedded broker's log, SQLite grain state).</summary>
public sealed class DataDirectoryLockService(ConnectHostSettings settings) : IHostedService, IDisposable
{
    private DataDirectoryLock? _lock;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            _lock = DataDirectoryLock.Acquire(settings.DataDir);
        }
        catch (DataDirectoryException e)
        {
            throw new StartupException(e.Message, e);
        }
        return Task.CompletedTask;
    }

    // Kept until the process ends: the kernel releases it however that happens.
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _lock?.Dispose();
}
