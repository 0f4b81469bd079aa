namespace OrleansConnect.Connect.Connector;

/// <summary>What a connector may ask of the runtime.</summary>
public interface IConnectorContext
{
    /// <summary>Asks the runtime to call TaskConfigs again and restart tasks whose configs changed.</summary>
    void RequestTaskReconfiguration();

    /// <summary>Fails the connector with <paramref name="e"/> (e.g. from a background thread).</summary>
    void RaiseError(Exception e);
}
