using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Hosting;

namespace OrleansConnect.Silo.Tests.Infrastructure;

/// <summary>Keeps a silo's log lines (category, level, formatted message, exception text) for assertions: the storage
/// lines down to Debug, everything else from Warning.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<Line> _lines = new();

    public sealed record Line(string Category, LogLevel Level, string Message, string? Exception);

    public IReadOnlyList<Line> Lines => [.. _lines];

    public IEnumerable<Line> At(LogLevel level) => _lines.Where(l => l.Level == level);

    /// <summary>Every line with its exception, for failure messages and "never in any line" checks.</summary>
    public string Text => string.Join("\n", _lines.Select(l => $"{l.Level} {l.Category}: {l.Message}{(l.Exception is null ? "" : "\n" + l.Exception)}"));

    /// <summary>Adds this provider to a silo under test.</summary>
    public void AddTo(ISiloBuilder silo)
    {
        silo.Services.AddSingleton<ILoggerProvider>(this);
        silo.Services.AddLogging(logging => logging.AddFilter<CapturedLogs>("OrleansConnect.Silo.GrainStorage", LogLevel.Debug));
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._lines.Enqueue(new Line(category, logLevel, formatter(state, exception), exception?.ToString()));
    }
}
