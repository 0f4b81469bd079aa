using Microsoft.Extensions.Logging;

namespace OrleansConnect.Api.Logging;

/// <summary>Connect's level names (log4j's) mapped onto Microsoft.Extensions.Logging levels and back.</summary>
public static class Log4jLevels
{
    /// <summary>Case-insensitive, as Connect upper-cases the requested level. ALL is TRACE here (the lowest level
    /// there is), FATAL is Critical and OFF is None.</summary>
    public static bool TryParse(string? name, out LogLevel level)
    {
        switch (name?.ToUpperInvariant())
        {
            case "ALL":
            case "TRACE": level = LogLevel.Trace; return true;
            case "DEBUG": level = LogLevel.Debug; return true;
            case "INFO": level = LogLevel.Information; return true;
            case "WARN": level = LogLevel.Warning; return true;
            case "ERROR": level = LogLevel.Error; return true;
            case "FATAL": level = LogLevel.Critical; return true;
            case "OFF": level = LogLevel.None; return true;
            default: level = default; return false;
        }
    }

    public static string Name(LogLevel level) => level switch
    {
        LogLevel.Trace => "TRACE",
        LogLevel.Debug => "DEBUG",
        LogLevel.Information => "INFO",
        LogLevel.Warning => "WARN",
        LogLevel.Error => "ERROR",
        LogLevel.Critical => "FATAL",
        _ => "OFF",
    };
}
