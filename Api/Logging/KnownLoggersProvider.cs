using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace OrleansConnect.Api.Logging;

/// <summary>A logger provider that writes nothing: it only learns the name of every logger (category) the process
/// creates, which is what Connect's "current loggers" are.</summary>
internal sealed class KnownLoggersProvider(LoggerLevelStore store) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName)
    {
        store.RecordLogger(categoryName);
        return NullLogger.Instance;
    }

    public void Dispose()
    {
    }
}
