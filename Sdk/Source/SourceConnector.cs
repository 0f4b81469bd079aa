namespace OrleansConnect.Connect.Source;

using OrleansConnect.Connect.Connector;

/// <summary>A connector that reads from an external system into Kafka.</summary>
public abstract class SourceConnector : Connector
{
    /// <summary>
    /// Called before offsets are altered or reset (a null value resets that partition). Return true to confirm the
    /// connector handles it, false for "not checked"; throw ConnectException to reject the request.
    /// </summary>
    public virtual bool AlterOffsets(
        IReadOnlyDictionary<string, string> connectorConfig,
        IReadOnlyDictionary<IReadOnlyDictionary<string, object?>, IReadOnlyDictionary<string, object?>?> offsets) => false;

    /// <summary>Null means the connector does not say.</summary>
    public virtual ExactlyOnceSupport? ExactlyOnceSupport(IReadOnlyDictionary<string, string> config) => null;

    public virtual ConnectorTransactionBoundaries CanDefineTransactionBoundaries(IReadOnlyDictionary<string, string> config) =>
        ConnectorTransactionBoundaries.Unsupported;
}
