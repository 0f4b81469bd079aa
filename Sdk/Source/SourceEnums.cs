namespace OrleansConnect.Connect.Source;

/// <summary>Whether a source connector can provide exactly-once delivery with its configuration.</summary>
public enum ExactlyOnceSupport
{
    Supported,
    Unsupported,
}

/// <summary>Whether a source connector can define its own transaction boundaries.</summary>
public enum ConnectorTransactionBoundaries
{
    Supported,
    Unsupported,
}
