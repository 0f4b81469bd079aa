using System.Diagnostics;
using System.Runtime;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging.Console;

namespace OrleansConnect.Silo.Hosting;

/// <summary>Drops the few lines Orleans logs as warnings on every start that an operator cannot act on, so that a
/// warning in a silo's log always means something. Logging filters see only category and level; these need the event.
/// <list type="bullet">
/// <item>The two "ServerGC" notes (event 100405): the silo runs workstation GC on purpose (Silo.csproj says why).</item>
/// <item>A watchdog stall longer than the process has been running: Orleans' component watchdog can check before its
/// first timestamp is set, and then reports the machine's uptime as a stall.</item>
/// </list></summary>
public sealed class UnactionableLogFilter(ILoggerProvider inner) : ILoggerProvider
{
    private const int ServerGcNote = 100405;

    public ILogger CreateLogger(string categoryName)
    {
        var logger = inner.CreateLogger(categoryName);
        return categoryName switch
        {
            "Orleans.Runtime.Silo" when !GCSettings.IsServerGC => new Filtered(logger, static (id, _) => id.Id != ServerGcNote),
            "Orleans.Runtime.Watchdog" => new Filtered(logger, static (_, state) => !IsLongerThanUptime(state)),
            _ => logger,
        };
    }

    public void Dispose() => inner.Dispose();

    /// <summary>Wraps the console provider the builder registered.</summary>
    public static void Apply(ILoggingBuilder logging)
    {
        var console = logging.Services.Last(d => d.ServiceType == typeof(ILoggerProvider) && d.ImplementationType == typeof(ConsoleLoggerProvider));
        logging.Services.Remove(console);
        logging.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ILoggerProvider, UnactionableLogFilter>(sp =>
            new UnactionableLogFilter(ActivatorUtilities.CreateInstance<ConsoleLoggerProvider>(sp))));
    }

    private static bool IsLongerThanUptime(object? state)
    {
        if (state is not IReadOnlyList<KeyValuePair<string, object?>> fields) return false;
        var uptime = DateTime.Now - Process.GetCurrentProcess().StartTime;
        return fields.Any(f => f.Key == "TimeSinceLastTick" && f.Value is TimeSpan stall && stall > uptime);
    }

    private sealed class Filtered(ILogger inner, Func<EventId, object?, bool> keep) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (keep(eventId, state)) inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
