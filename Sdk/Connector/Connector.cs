namespace OrleansConnect.Connect.Connector;

using OrleansConnect.Connect.Config;

/// <summary>
/// A connector: validates and holds its configuration and splits the work into task configs. The runtime calls
/// Initialize, then StartAsync, TaskConfigs (again after RequestTaskReconfiguration), and StopAsync.
/// </summary>
public abstract class Connector
{
    /// <summary>Set by <see cref="Initialize"/> before StartAsync.</summary>
    protected IConnectorContext Context { get; private set; } = null!;

    public virtual void Initialize(IConnectorContext context) =>
        Context = context ?? throw new ArgumentNullException(nameof(context));

    public abstract Task StartAsync(IReadOnlyDictionary<string, string> props, CancellationToken ct);

    /// <summary>Applies new props: by default a stop followed by a start.</summary>
    public virtual async Task ReconfigureAsync(IReadOnlyDictionary<string, string> props, CancellationToken ct)
    {
        await StopAsync(ct).ConfigureAwait(false);
        await StartAsync(props, ct).ConfigureAwait(false);
    }

    /// <summary>The task type (a <see cref="ConnectorTask"/> subclass with a public parameterless constructor).</summary>
    public abstract Type TaskClass { get; }

    /// <summary>Up to <paramref name="maxTasks"/> task configurations.</summary>
    public abstract IReadOnlyList<IReadOnlyDictionary<string, string>> TaskConfigs(int maxTasks);

    public abstract Task StopAsync(CancellationToken ct);

    /// <summary>The connector's own configs (the runtime adds the common connector configs around them).</summary>
    public abstract ConfigDef Config { get; }

    /// <summary>Validates the connector's own configs; the default runs the ConfigDef validation.</summary>
    public virtual Config Validate(IReadOnlyDictionary<string, string?> connectorConfigs) =>
        new(Config.Validate(connectorConfigs));

    /// <summary>Validates, possibly reaching the external system (e.g. connecting to a database with the configured
    /// credentials, as Debezium's and Confluent's connectors do at validate); the runtime calls this one. The default
    /// runs <see cref="Validate"/>.</summary>
    public virtual Task<Config> ValidateAsync(IReadOnlyDictionary<string, string?> connectorConfigs, CancellationToken ct) =>
        Task.FromResult(Validate(connectorConfigs));

    public abstract string Version { get; }
}
