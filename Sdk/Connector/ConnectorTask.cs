namespace OrleansConnect.Connect.Connector;

/// <summary>Kafka's Task (renamed: System.Threading.Tasks.Task), the base of source and sink tasks.</summary>
public abstract class ConnectorTask
{
    public abstract string Version { get; }

    public abstract Task StartAsync(IReadOnlyDictionary<string, string> props, CancellationToken ct);

    public abstract Task StopAsync(CancellationToken ct);
}
