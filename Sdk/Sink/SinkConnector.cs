namespace OrleansConnect.Connect.Sink;

using OrleansConnect.Connect.Connector;

/// <summary>A connector that writes records from Kafka topics to an external system.</summary>
public abstract class SinkConnector : Connector
{
    public const string TopicsConfig = "topics";

    /// <summary>
    /// Called before consumer offsets are altered or reset (a null value resets that partition). Return true to
    /// confirm, false for "not checked"; throw ConnectException to reject the request.
    /// </summary>
    public virtual bool AlterOffsets(
        IReadOnlyDictionary<string, string> connectorConfig,
        IReadOnlyDictionary<TopicPartition, long?> offsets) => false;
}
