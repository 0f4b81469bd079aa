using System.Buffers.Binary;
using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Connect.Header;
using OrleansConnect.Connect.Plugins;
using OrleansConnect.Connect.Storage;

namespace OrleansConnect.Plugins.Converters;

/// <summary>
/// Kafka's NumberConverter: a key/value/header converter for one primitive type, written as Kafka's serializers do
/// (big-endian, fixed width; BooleanConverter one byte 0/1). Null is null both ways. Reading gives the optional
/// schema of the type; writing accepts exactly that runtime type (and a schema, if any, of that type).
/// </summary>
public abstract class NumberConverter<T> : IConverter, IHeaderConverter, IVersioned where T : struct
{
    private readonly string _typeName;
    private readonly Schema _schema;
    private readonly int _size;
    private readonly string _deserializerName;

    /// <param name="typeName">The name in error messages ("integer", "long", ...).</param>
    /// <param name="schema">The optional schema values are read with.</param>
    /// <param name="size">The serialized width in bytes.</param>
    /// <param name="deserializerName">The name Kafka's deserializer uses in its size error.</param>
    protected NumberConverter(string typeName, Schema schema, int size, string deserializerName)
    {
        _typeName = typeName;
        _schema = schema;
        _size = size;
        _deserializerName = deserializerName;
    }

    public ConfigDef Config { get; } = ConverterConfig.NewConfigDef();

    public string Version => AppInfo.KafkaVersion;

    public void Configure(IReadOnlyDictionary<string, string?> configs, bool isKey)
    {
        ArgumentNullException.ThrowIfNull(configs);
        _ = new ConverterConfig(Config, ConverterConfig.WithType(configs, isKey ? ConverterType.Key : ConverterType.Value));
    }

    public void Configure(IReadOnlyDictionary<string, string?> configs)
    {
        ArgumentNullException.ThrowIfNull(configs);
        // Used as a header converter when the runtime does not say otherwise.
        var withType = configs.ContainsKey(ConverterConfig.TypeConfig)
            ? configs
            : ConverterConfig.WithType(configs, ConverterType.Header);
        _ = new ConverterConfig(Config, withType);
    }

    public byte[]? FromConnectData(string? topic, ConnectHeaders? headers, Schema? schema, object? value)
    {
        if (schema is not null && schema.Type != _schema.Type)
            throw new DataException($"Invalid schema type for {GetType().Name}: {schema.Type.ToConnectName()}");
        if (value is null) return null;
        if (value is not T typed)
            throw new DataException($"Failed to serialize to {_typeName} (was class {value.GetType().FullName})");
        var bytes = new byte[_size];
        Write(bytes, typed);
        return bytes;
    }

    public SchemaAndValue ToConnectData(string? topic, ConnectHeaders? headers, byte[]? value)
    {
        if (value is null) return new SchemaAndValue(_schema, null);
        if (value.Length != _size)
            throw new DataException($"Failed to deserialize {_typeName}: Size of data received by {_deserializerName} is not {_size}");
        return new SchemaAndValue(_schema, Read(value));
    }

    public byte[]? FromConnectHeader(string? topic, string headerKey, Schema? schema, object? value) =>
        FromConnectData(topic, null, schema, value);

    public SchemaAndValue ToConnectHeader(string? topic, string headerKey, byte[]? value) =>
        ToConnectData(topic, null, value);

    /// <summary>Writes <paramref name="value"/> into exactly the converter's width.</summary>
    protected abstract void Write(Span<byte> destination, T value);

    /// <summary>Reads a value of exactly the converter's width.</summary>
    protected abstract object Read(ReadOnlySpan<byte> source);
}

/// <summary>Kafka's ShortConverter: INT16 as 2 big-endian bytes.</summary>
[PluginName("org.apache.kafka.connect.converters.ShortConverter")]
public sealed class ShortConverter() : NumberConverter<short>("short", Schema.OptionalInt16Schema, 2, "ShortDeserializer")
{
    protected override void Write(Span<byte> destination, short value) => BinaryPrimitives.WriteInt16BigEndian(destination, value);

    protected override object Read(ReadOnlySpan<byte> source) => BinaryPrimitives.ReadInt16BigEndian(source);
}

/// <summary>Kafka's IntegerConverter: INT32 as 4 big-endian bytes.</summary>
[PluginName("org.apache.kafka.connect.converters.IntegerConverter")]
public sealed class IntegerConverter() : NumberConverter<int>("integer", Schema.OptionalInt32Schema, 4, "IntegerDeserializer")
{
    protected override void Write(Span<byte> destination, int value) => BinaryPrimitives.WriteInt32BigEndian(destination, value);

    protected override object Read(ReadOnlySpan<byte> source) => BinaryPrimitives.ReadInt32BigEndian(source);
}

/// <summary>Kafka's LongConverter: INT64 as 8 big-endian bytes.</summary>
[PluginName("org.apache.kafka.connect.converters.LongConverter")]
public sealed class LongConverter() : NumberConverter<long>("long", Schema.OptionalInt64Schema, 8, "LongDeserializer")
{
    protected override void Write(Span<byte> destination, long value) => BinaryPrimitives.WriteInt64BigEndian(destination, value);

    protected override object Read(ReadOnlySpan<byte> source) => BinaryPrimitives.ReadInt64BigEndian(source);
}

/// <summary>Kafka's FloatConverter: FLOAT32 as its 4 IEEE-754 bytes, big-endian.</summary>
[PluginName("org.apache.kafka.connect.converters.FloatConverter")]
public sealed class FloatConverter() : NumberConverter<float>("float", Schema.OptionalFloat32Schema, 4, "Deserializer")
{
    protected override void Write(Span<byte> destination, float value) => BinaryPrimitives.WriteSingleBigEndian(destination, value);

    protected override object Read(ReadOnlySpan<byte> source) => BinaryPrimitives.ReadSingleBigEndian(source);
}

/// <summary>Kafka's DoubleConverter: FLOAT64 as its 8 IEEE-754 bytes, big-endian.</summary>
[PluginName("org.apache.kafka.connect.converters.DoubleConverter")]
public sealed class DoubleConverter() : NumberConverter<double>("double", Schema.OptionalFloat64Schema, 8, "Deserializer")
{
    protected override void Write(Span<byte> destination, double value) => BinaryPrimitives.WriteDoubleBigEndian(destination, value);

    protected override object Read(ReadOnlySpan<byte> source) => BinaryPrimitives.ReadDoubleBigEndian(source);
}
