using System.Text;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Connect.Plugins;
using OrleansConnect.Plugins.Converters;
using OrleansConnect.Plugins.Json;
using OrleansConnect.Plugins.Storage;
using Xunit;

namespace OrleansConnect.Tests.Converters;

public class StringAndByteArrayConverterTests
{
    private static StringConverter StringConverter(string? encoding = null)
    {
        var converter = new StringConverter();
        var configs = new Dictionary<string, string?>();
        if (encoding is not null) configs["converter.encoding"] = encoding;
        converter.Configure(configs, isKey: false);
        return converter;
    }

    [Fact]
    public void String_converter_writes_java_text_of_any_value()
    {
        var converter = StringConverter();
        var schema = SchemaBuilder.Struct().Field("a", Schema.Int32Schema).Field("b", Schema.StringSchema).Build();

        string Write(object? value) => Encoding.UTF8.GetString(converter.FromConnectData("t", null, null, value)!);

        Assert.Equal("héllo", Write("héllo"));
        Assert.Equal("true", Write(true));
        Assert.Equal("1.0", Write(1.0));
        Assert.Equal("Struct{a=1,b=x}", Write(new Struct(schema).Put("a", 1).Put("b", "x")));
        Assert.Equal("[1, a, true]", Write(new List<object?> { 1, "a", true }));
        Assert.Equal("{k=1}", Write(new Dictionary<object, object?> { ["k"] = 1 }));
        Assert.Null(converter.FromConnectData("t", null, Schema.StringSchema, null));
    }

    [Fact]
    public void String_converter_reads_an_optional_string()
    {
        var converter = StringConverter();

        Assert.Equal(new SchemaAndValue(Schema.OptionalStringSchema, "{\"a\":1}"), converter.ToConnectData("t", null, Encoding.UTF8.GetBytes("{\"a\":1}")));
        Assert.Equal(new SchemaAndValue(Schema.OptionalStringSchema, null), converter.ToConnectData("t", null, null));
    }

    [Fact]
    public void String_converter_honours_the_encoding()
    {
        var utf16 = StringConverter("UTF-16");

        var bytes = utf16.FromConnectData("t", null, null, "a")!;

        Assert.Equal(new byte[] { 0xFE, 0xFF, 0x00, 0x61 }, bytes);
        Assert.Equal("a", utf16.ToConnectData("t", null, bytes).Value);
        Assert.Equal(new byte[] { 0xE9 }, StringConverter("ISO-8859-1").FromConnectData("t", null, null, "é"));
        Assert.Throws<OrleansConnect.Connect.Config.ConfigException>(() => StringConverter("no-such-charset"));
    }

    [Fact]
    public void String_converter_as_header_converter()
    {
        var converter = new StringConverter();
        converter.Configure(new Dictionary<string, string?>());

        Assert.Equal("42", Encoding.UTF8.GetString(converter.FromConnectHeader("t", "h", Schema.Int32Schema, 42)!));
        Assert.Equal("v", converter.ToConnectHeader("t", "h", "v"u8.ToArray()).Value);
        Assert.True(converter.Config.ConfigKeys.ContainsKey("converter.encoding"));
    }

    [Fact]
    public void Byte_array_converter_passes_bytes_through()
    {
        var converter = new ByteArrayConverter();
        converter.Configure(new Dictionary<string, string?>(), isKey: true);
        var bytes = new byte[] { 1, 2, 3 };

        Assert.Same(bytes, converter.FromConnectData("t", null, Schema.BytesSchema, bytes));
        Assert.Same(bytes, converter.FromConnectData("t", null, null, bytes));
        Assert.Null(converter.FromConnectData("t", null, null, null));
        Assert.Equal(new SchemaAndValue(Schema.OptionalBytesSchema, bytes), converter.ToConnectData("t", null, bytes));
        Assert.Equal(new SchemaAndValue(Schema.OptionalBytesSchema, null), converter.ToConnectData("t", null, null));
        Assert.Equal(bytes, converter.FromConnectHeader("t", "h", Schema.OptionalBytesSchema, bytes));
    }

    [Fact]
    public void Byte_array_converter_rejects_other_schemas_and_values()
    {
        var converter = new ByteArrayConverter();

        var e = Assert.Throws<DataException>(() => converter.FromConnectData("t", null, Schema.Int32Schema, new byte[] { 1 }));
        Assert.Equal("Invalid schema type for ByteArrayConverter: INT32", e.Message);
        Assert.Throws<DataException>(() => converter.FromConnectData("t", null, null, "text"));
    }

    [Theory]
    [InlineData(typeof(JsonConverter), "org.apache.kafka.connect.json.JsonConverter")]
    [InlineData(typeof(StringConverter), "org.apache.kafka.connect.storage.StringConverter")]
    [InlineData(typeof(ByteArrayConverter), "org.apache.kafka.connect.converters.ByteArrayConverter")]
    public void Converters_answer_to_kafka_class_names(Type type, string className)
    {
        var attribute = (PluginNameAttribute)Attribute.GetCustomAttribute(type, typeof(PluginNameAttribute))!;

        Assert.Equal(className, attribute.ClassName);
    }
}
