using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace OrleansConnect.Runtime.Hosting;

/// <summary>The host's logger factory if it has one, else a silent one: the runtime must not register an
/// ILoggerFactory itself, or it would shadow the host's AddLogging (which only adds one if none exists).</summary>
internal sealed class RuntimeLogging(IServiceProvider services)
{
    public ILoggerFactory Factory { get; } = (ILoggerFactory?)services.GetService(typeof(ILoggerFactory)) ?? NullLoggerFactory.Instance;

    public ILogger CreateLogger<T>() => Factory.CreateLogger(typeof(T).FullName ?? typeof(T).Name);
}
