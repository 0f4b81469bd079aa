using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansConnect.Api.Models;

namespace OrleansConnect.Api.Logging;

/// <summary>The <see cref="ILoggerLevels"/> registered by AddConnectApi.</summary>
internal sealed class LoggerLevels : ILoggerLevels
{
    private readonly LoggerLevelStore _store;

    public LoggerLevels(LoggerLevelStore store, IOptionsMonitor<LoggerFilterOptions> filterOptions)
    {
        _store = store;
        // Building the options once makes the store learn the configured levels even if no logger exists yet.
        _ = filterOptions.CurrentValue;
    }

    public SortedDictionary<string, LoggerLevel> AllLevels() => _store.AllLevels();

    public LoggerLevel? Level(string logger) => _store.Level(logger);

    public List<string> SetLevel(string @namespace, LogLevel level) => _store.SetLevel(@namespace, level);
}
