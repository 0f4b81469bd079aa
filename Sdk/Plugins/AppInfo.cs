namespace OrleansConnect.Connect.Plugins;

/// <summary>Versions the runtime reports.</summary>
public static class AppInfo
{
    /// <summary>The Kafka Connect version we are compatible with, reported as the version of built-in plugins.</summary>
    public const string KafkaVersion = "3.9.0";
}
