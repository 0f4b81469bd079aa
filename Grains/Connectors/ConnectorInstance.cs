using Microsoft.Extensions.Logging;
using OrleansConnect.Connect.Connector;
using OrleansConnect.Grains.Config;
using OrleansConnect.Connect.Source;
using OrleansConnect.Grains.Interfaces.Models;
using OrleansConnect.Grains.Plugins;

namespace OrleansConnect.Grains.Connectors;

/// <summary>The connector plugin's instance on this silo and the state Connect reports for it (Kafka's
/// <c>WorkerConnector</c>): started from a resolved config, stopped, failed by its own <c>RaiseError</c>. State and
/// trace may change on the connector's own threads and are read outside the grain's turns (status listings, metrics),
/// so they change under a lock, never as grain fields.</summary>
public sealed class ConnectorInstance(string name, PluginRegistry plugins, Func<IConnectorContext> context, ILogger logger)
{
    private readonly object _gate = new();
    private string _state = States.Unassigned;
    private string? _trace;

    /// <summary>The running plugin instance; null when stopped or failed to start.</summary>
    public Connector? Connector { get; private set; }

    /// <summary>The config the running instance was started with, references resolved (never stored).</summary>
    public IReadOnlyDictionary<string, string>? ResolvedConfig { get; private set; }

    public bool IsRunning => Connector is not null;

    /// <summary>Connect's connector state (UNASSIGNED, RUNNING, PAUSED, STOPPED, FAILED, RESTARTING) and the trace of
    /// the last failure; one consistent pair.</summary>
    public (string State, string? Trace) Status
    {
        get { lock (_gate) return (_state, _trace); }
    }

    /// <summary>Starts a new plugin instance; false (and FAILED with the trace) when it cannot be found or throws.</summary>
    public async Task<bool> StartAsync(IReadOnlyDictionary<string, string> resolvedConfig, CancellationToken cancellationToken)
    {
        try
        {
            var className = resolvedConfig[ConnectorConfig.ConnectorClass];
            var desc = plugins.FindConnector(className)
                ?? throw new Connect.Errors.ConnectException($"Failed to find any class that implements Connector and which name matches {className}");
            var connector = plugins.Instantiate<Connector>(desc);
            connector.Initialize(context());
            await connector.StartAsync(resolvedConfig, cancellationToken);
            Connector = connector;
            ResolvedConfig = resolvedConfig;
            lock (_gate) _trace = null;
            _logger.LogInformation("Connector {Connector} started", _name);
            return true;
        }
        catch (Exception e)
        {
            Fail(e);
            _logger.LogError(e, "Connector {Connector} failed to start", _name);
            return false;
        }
    }

    /// <summary>Stops the plugin instance if one runs (UNASSIGNED after); a failing stop is logged, not thrown.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var connector = Connector;
        Connector = null;
        ResolvedConfig = null;
        if (connector is null) return;
        try
        {
            await connector.StopAsync(cancellationToken);
        }
        catch (Exception e)
        {
            _logger.LogWarning(e, "Connector {Connector} failed to stop cleanly", _name);
        }
        SetState(States.Unassigned);
    }

    public void SetState(string state, bool clearTrace = false)
    {
        lock (_gate)
        {
            _state = state;
            if (clearTrace) _trace = null;
        }
    }

    /// <summary>FAILED with the trace of <paramref name="error"/>; callable from any thread (RaiseError).</summary>
    public void Fail(Exception error)
    {
        lock (_gate)
        {
            _state = States.Failed;
            _trace = error.ToString();
        }
    }

    /// <summary>The connector instance's view of the framework. Calls into the grain are never awaited here: the
    /// connector may call from inside the grain's own turn (during its start).</summary>
    public sealed class Context(ConnectorInstance instance, Func<Task> requestReconfiguration, IOffsetStorageReader offsets) : ISourceConnectorContext
    {
        public void RequestTaskReconfiguration() => _ = requestReconfiguration().ContinueWith(
            t => instance._logger.LogWarning(t.Exception, "Task reconfiguration of {Connector} failed", instance._name),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);

        public void RaiseError(Exception e)
        {
            instance.Fail(e);
            instance._logger.LogError(e, "Connector {Connector} raised an error", instance._name);
        }

        public IOffsetStorageReader OffsetStorageReader { get; } = offsets;
    }

    private readonly string _name = name;
    private readonly ILogger _logger = logger;
}
