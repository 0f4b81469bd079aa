using OrleansConnect.Connect.Data;

namespace OrleansConnect.Connect.Config;

/// <summary>An invalid or missing configuration value. Messages follow Kafka's wording.</summary>
public class ConfigException : Exception
{
    public ConfigException(string message) : base(message) { }

    /// <summary>"Invalid value &lt;value&gt; for configuration &lt;name&gt;".</summary>
    public ConfigException(string name, object? value) : this(name, value, null) { }

    /// <summary>"Invalid value &lt;value&gt; for configuration &lt;name&gt;: &lt;message&gt;".</summary>
    public ConfigException(string name, object? value, string? message)
        : base($"Invalid value {Values.ToJavaString(value)} for configuration {name}" + (message is null ? "" : ": " + message))
    {
        Name = name;
        Value = value;
    }

    /// <summary>The config's name, when the exception is about one value.</summary>
    public string? Name { get; }

    public object? Value { get; }
}
