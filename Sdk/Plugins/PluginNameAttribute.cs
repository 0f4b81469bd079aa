namespace OrleansConnect.Connect.Plugins;

/// <summary>
/// The Kafka class name a built-in plugin answers to (e.g. "org.apache.kafka.connect.file.FileStreamSourceConnector",
/// "org.apache.kafka.connect.transforms.Cast$Key"). Plugins without it are named by their C# FullName.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class PluginNameAttribute(string className) : Attribute
{
    public string ClassName { get; } = className ?? throw new ArgumentNullException(nameof(className));
}
