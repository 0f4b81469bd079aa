using System.Text;
using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Connect.Plugins;
using OrleansConnect.Connect.Storage;
using OrleansConnect.Plugins.Transforms.Util;

namespace OrleansConnect.Plugins.Storage;

/// <summary>
/// Kafka's default header converter: writes a header value as its Values text form (UTF-8) and reads text back
/// with Values' inference, so "42" becomes an int8, "true" a boolean, "[1,2]" an array, "2024-01-15" a Date and
/// anything else a string. Null stays null both ways. Bytes it cannot read come back as BYTES.
/// </summary>
[PluginName("org.apache.kafka.connect.storage.SimpleHeaderConverter")]
public sealed class SimpleHeaderConverter : IHeaderConverter, IVersioned
{
    private static readonly ConfigDef Definition = new();

    public string Version => AppInfo.KafkaVersion;

    public ConfigDef Config => Definition;

    public void Configure(IReadOnlyDictionary<string, string?> configs)
    {
        // Nothing to configure.
    }

    public SchemaAndValue ToConnectHeader(string? topic, string headerKey, byte[]? value)
    {
        if (value is null) return SchemaAndValue.Null;
        try
        {
            var text = Encoding.UTF8.GetString(value);
            if (text.Length == 0) return new SchemaAndValue(Schema.StringSchema, text);
            return ConnectValues.ParseString(text);
        }
        catch (Exception e) when (e is DataException or ArgumentException or FormatException or OverflowException)
        {
            // As Kafka: a value that cannot be read is kept, as raw bytes.
            return new SchemaAndValue(Schema.BytesSchema, value);
        }
    }

    public byte[]? FromConnectHeader(string? topic, string headerKey, Schema? schema, object? value)
    {
        if (value is null) return null;
        return Encoding.UTF8.GetBytes(ConnectValues.ConvertToString(schema, value)!);
    }
}
