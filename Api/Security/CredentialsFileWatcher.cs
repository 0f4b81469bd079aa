using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OrleansConnect.Api.Security;

/// <summary>Re-reads the credentials file when its write time or length changes (checked every
/// <see cref="RestAuthOptions.ReloadInterval"/>), so users added, removed or changed with the users command apply
/// without a restart. A file that became unreadable or malformed keeps the users last read, with an error in the log:
/// a half-edited file must not lock every administrator out.</summary>
internal sealed partial class CredentialsFileWatcher(CredentialsStore store, IOptions<RestAuthOptions> options, TimeProvider time,
    ILogger<CredentialsFileWatcher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ReloadInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
                await CheckAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    internal async Task CheckAsync(CancellationToken cancellationToken)
    {
        var stamp = FileStamp.Of(store.Path);
        if (stamp == store.Stamp) return;
        try
        {
            var users = await CredentialsFile.ReadAsync(store.Path, cancellationToken);
            store.Replace(users, stamp);
            Reloaded(logger, store.Path, users.Count);
        }
        catch (CredentialsFileException e)
        {
            // Reported once per change of the file, not at every check.
            store.KeepStamp(stamp);
            ReloadFailed(logger, e.Message);
        }
    }

    [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "Credentials file {Path} re-read: {Users} users")]
    private static partial void Reloaded(ILogger logger, string path, int users);

    [LoggerMessage(EventId = 302, Level = LogLevel.Error, Message = "Credentials file not re-read, the users read before stay: {Problem}")]
    private static partial void ReloadFailed(ILogger logger, string problem);
}
