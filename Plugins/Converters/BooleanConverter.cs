using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Connect.Plugins;

namespace OrleansConnect.Plugins.Converters;

/// <summary>Kafka's BooleanConverter: BOOLEAN as one byte, 1 for true and 0 for false; any other byte or size is an error.</summary>
[PluginName("org.apache.kafka.connect.converters.BooleanConverter")]
public sealed class BooleanConverter() : NumberConverter<bool>("boolean", Schema.OptionalBooleanSchema, 1, "BooleanDeserializer")
{
    protected override void Write(Span<byte> destination, bool value) => destination[0] = value ? (byte)1 : (byte)0;

    protected override object Read(ReadOnlySpan<byte> source) => source[0] switch
    {
        0 => false,
        1 => true,
        var b => throw new DataException($"Failed to deserialize boolean: Unexpected byte received by BooleanDeserializer: {(sbyte)b}"),
    };
}
