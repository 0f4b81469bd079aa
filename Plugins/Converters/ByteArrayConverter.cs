using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Connect.Header;
using OrleansConnect.Connect.Plugins;
using OrleansConnect.Connect.Storage;

namespace OrleansConnect.Plugins.Converters;

/// <summary>
/// Kafka's ByteArrayConverter: bytes pass through unchanged; the schema, if any, must be BYTES. Reads as an optional
/// bytes schema. Also a header converter.
/// </summary>
[PluginName("org.apache.kafka.connect.converters.ByteArrayConverter")]
public sealed class ByteArrayConverter : IConverter, IHeaderConverter, IVersioned
{
    public ConfigDef Config => ConverterConfig.NewConfigDef();

    public string Version => AppInfo.KafkaVersion;

    public void Configure(IReadOnlyDictionary<string, string?> configs, bool isKey)
    {
        // Nothing to configure.
    }

    public void Configure(IReadOnlyDictionary<string, string?> configs)
    {
        // Nothing to configure.
    }

    public byte[]? FromConnectData(string? topic, ConnectHeaders? headers, Schema? schema, object? value)
    {
        if (schema is not null && schema.Type != SchemaType.Bytes)
            throw new DataException($"Invalid schema type for ByteArrayConverter: {schema.Type.ToConnectName()}");
        return value switch
        {
            null => null,
            byte[] bytes => bytes,
            ArraySegment<byte> segment => segment.ToArray(),
            ReadOnlyMemory<byte> memory => memory.ToArray(),
            Memory<byte> memory => memory.ToArray(),
            _ => throw new DataException($"ByteArrayConverter is not compatible with objects of type class {value.GetType().FullName}"),
        };
    }

    public SchemaAndValue ToConnectData(string? topic, ConnectHeaders? headers, byte[]? value) =>
        new(Schema.OptionalBytesSchema, value);

    public byte[]? FromConnectHeader(string? topic, string headerKey, Schema? schema, object? value) =>
        FromConnectData(topic, null, schema, value);

    public SchemaAndValue ToConnectHeader(string? topic, string headerKey, byte[]? value) =>
        ToConnectData(topic, null, value);
}
