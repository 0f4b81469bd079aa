using Microsoft.Extensions.Logging;
using OrleansConnect.Api.Models;

namespace OrleansConnect.Api.Logging;

/// <summary>The worker's log levels as Connect's /admin/loggers shows and changes them, applied to the real
/// Microsoft.Extensions.Logging filters. A logger is a logging category; "root" (any case) is the default level.</summary>
public interface ILoggerLevels
{
    /// <summary>Name of the root logger in requests and responses.</summary>
    const string RootLoggerName = "root";

    /// <summary>Loggers with an explicitly set level (from configuration or through <see cref="SetLevel"/>) plus root, by name.</summary>
    SortedDictionary<string, LoggerLevel> AllLevels();

    /// <summary>The logger's explicit level, else its effective one; null when no such logger is known
    /// (never created, configured or set).</summary>
    LoggerLevel? Level(string logger);

    /// <summary>Sets <paramref name="namespace"/> and every known logger whose name starts with it (root: every logger)
    /// to <paramref name="level"/>, creating the namespace logger if needed. Returns the affected names, sorted.
    /// A logger's last_modified changes only when its level really changes.</summary>
    List<string> SetLevel(string @namespace, LogLevel level);
}
