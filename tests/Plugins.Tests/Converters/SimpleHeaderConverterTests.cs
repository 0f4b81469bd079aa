using System.Collections;
using System.Text;
using OrleansConnect.Connect.Data;
using OrleansConnect.Plugins.Storage;
using Xunit;
using static OrleansConnect.Tests.TestRecords;

namespace OrleansConnect.Tests.Storage;

public class SimpleHeaderConverterTests
{
    private readonly SimpleHeaderConverter _converter = new();

    public SimpleHeaderConverterTests() => _converter.Configure(new Dictionary<string, string?>());

    private SchemaAndValue Read(string text) => _converter.ToConnectHeader("t", "h", Encoding.UTF8.GetBytes(text));

    private string? Write(Schema? schema, object? value)
    {
        var bytes = _converter.FromConnectHeader("t", "h", schema, value);
        return bytes is null ? null : Encoding.UTF8.GetString(bytes);
    }

    [Fact]
    public void NullIsNullBothWays()
    {
        Assert.Equal(SchemaAndValue.Null, _converter.ToConnectHeader("t", "h", null));
        Assert.Null(_converter.FromConnectHeader("t", "h", Schema.OptionalStringSchema, null));
        Assert.Equal(SchemaAndValue.Null, Read("null"));
    }

    [Fact]
    public void InfersPrimitiveTypes()
    {
        Assert.Equal(new SchemaAndValue(Schema.StringSchema, ""), Read(""));
        Assert.Equal(new SchemaAndValue(Schema.StringSchema, "hello world"), Read("hello world"));
        Assert.Equal(new SchemaAndValue(Schema.BooleanSchema, true), Read("true"));
        Assert.Equal(new SchemaAndValue(Schema.StringSchema, "true}"), Read("true}"));
        Assert.Equal(new SchemaAndValue(Schema.Int8Schema, (sbyte)42), Read("42"));
        Assert.Equal(new SchemaAndValue(Schema.Int16Schema, (short)-1000), Read("-1000"));
        Assert.Equal(new SchemaAndValue(Schema.Int32Schema, 100000), Read("100000"));
        Assert.Equal(new SchemaAndValue(Schema.Int64Schema, long.MaxValue), Read("9223372036854775807"));
        Assert.Equal(new SchemaAndValue(Schema.Int8Schema, (sbyte)1), Read("1.0"));
        Assert.Equal(new SchemaAndValue(Schema.Float32Schema, 1.5f), Read("1.5"));
        Assert.Equal(new SchemaAndValue(Schema.Float64Schema, 1e300), Read("1e300"));
        Assert.Equal(new SchemaAndValue(Schema.StringSchema, "1,2"), Read("1,2"));
        Assert.Equal(new SchemaAndValue(Schema.StringSchema, "abc-12"), Read("abc-12"));
    }

    [Fact]
    public void InfersTemporalTypes()
    {
        Assert.Equal(new SchemaAndValue(Date.Schema(), Utc(2024, 1, 15)), Read("2024-01-15"));
        Assert.Equal(new SchemaAndValue(Time.Schema(), Utc(1970, 1, 1, 12, 30, 0, 5)), Read("12:30:00.005Z"));
        Assert.Equal(new SchemaAndValue(Timestamp.Schema(), Utc(2024, 1, 15, 10, 0, 0, 123)), Read("2024-01-15T10:00:00.123Z"));
    }

    [Fact]
    public void InfersArraysAndMaps()
    {
        var ints = Read("[1, 2, 300]");
        Assert.Equal(SchemaBuilder.Array(Schema.Int16Schema).Build(), ints.Schema);
        Assert.Equal(new List<object?> { (short)1, (short)2, (short)300 }, ints.Value);

        var strings = Read("[\"a\",\"b\"]");
        Assert.Equal(SchemaBuilder.Array(Schema.StringSchema).Build(), strings.Schema);

        var map = Read("{\"a\":1,\"b\":2.5}");
        Assert.Equal(SchemaBuilder.Map(Schema.StringSchema, Schema.Float32Schema).Build(), map.Schema);
        var entries = (IDictionary)map.Value!;
        Assert.Equal(1f, entries["a"]);
        Assert.Equal(2.5f, entries["b"]);

        var nested = Read("{\"k\":[true,false]}");
        Assert.Equal(SchemaBuilder.Map(Schema.StringSchema, SchemaBuilder.Array(Schema.BooleanSchema).Build()).Build(), nested.Schema);

        // Not well-formed: plain strings.
        Assert.Equal(new SchemaAndValue(Schema.StringSchema, "[1,"), Read("[1,"));
        Assert.Equal(new SchemaAndValue(Schema.StringSchema, "{a}"), Read("{a}"));
    }

    [Fact]
    public void WritesValuesAsTheirTextForm()
    {
        Assert.Equal("hello", Write(Schema.StringSchema, "hello"));
        Assert.Equal("42", Write(Schema.Int32Schema, 42));
        Assert.Equal("1.0", Write(Schema.Float64Schema, 1.0));
        Assert.Equal("true", Write(Schema.BooleanSchema, true));
        Assert.Equal("AQI=", Write(Schema.BytesSchema, new byte[] { 1, 2 }));
        Assert.Equal("[1,\"a\",null]", Write(null, new List<object?> { 1, "a", null }));
        Assert.Equal("{\"k\":\"v \\\"q\\\"\"}", Write(null, Map(("k", "v \"q\""))));
        var schema = SchemaBuilder.Struct().Field("a", Schema.Int32Schema).Field("b", Schema.StringSchema).Build();
        Assert.Equal("{\"a\":1,\"b\":\"x\"}", Write(schema, new Struct(schema).Put("a", 1).Put("b", "x")));
        Assert.Equal("2024-01-15", Write(Date.Schema(), Utc(2024, 1, 15)));
        Assert.Equal("2024-01-15T10:00:00.000Z", Write(Timestamp.Schema(), Utc(2024, 1, 15, 10)));
    }

    [Theory]
    [InlineData("[1,2,3]")]
    [InlineData("{\"a\":true}")]
    [InlineData("12:30:00.000Z")]
    [InlineData("-17")]
    public void RoundTrips(string text)
    {
        var read = Read(text);
        Assert.Equal(read, Read(Write(read.Schema, read.Value)!));
    }

    [Fact]
    public void HasNoConfig() => Assert.Empty(_converter.Config.Keys);

    // ---- Round trips of schemaless lists and maps, from Kafka's SimpleHeaderConverterTest.java
    // (connect/api/src/test/java/org/apache/kafka/connect/storage/SimpleHeaderConverterTest.java).

    private SchemaAndValue RoundTrip(Schema? schema, object? value) =>
        _converter.ToConnectHeader("t", "h", _converter.FromConnectHeader("t", "h", schema, value));

    [Fact]
    public void SimpleHeaderConverterTest_shouldConvertMapWithStringKeysAndMixedValuesToMap()
    {
        var map = new Dictionary<object, object?> { ["foo"] = "bar", ["baz"] = (short)3456 };
        var result = RoundTrip(null, map);
        Assert.Equal(SchemaType.Map, result.Schema!.Type);
        Assert.Equal(SchemaType.String, result.Schema.KeySchema.Type);
        Assert.Null(result.Schema.ValueSchemaOrNull);
        Assert.True(Values.DeepEquals(map, result.Value));
    }

    [Fact]
    public void SimpleHeaderConverterTest_shouldConvertListWithMixedValuesToListWithoutSchema()
    {
        var list = new List<object?> { "foo", (short)13344 };
        var result = RoundTrip(null, list);
        Assert.Equal(SchemaType.Array, result.Schema!.Type);
        Assert.Null(result.Schema.ValueSchemaOrNull);
        Assert.Equal(list, result.Value);
        // Written back with that schema, it reads the same again.
        Assert.Equal("[\"foo\",13344]", Write(result.Schema, result.Value));
    }

    [Fact]
    public void SimpleHeaderConverterTest_shouldConvertEmptyMapToMap()
    {
        var result = RoundTrip(null, new Dictionary<object, object?>());
        Assert.Equal(SchemaType.Map, result.Schema!.Type);
        Assert.Null(result.Schema.KeySchemaOrNull);
        Assert.Null(result.Schema.ValueSchemaOrNull);
        Assert.Empty((IDictionary)result.Value!);
    }

    [Fact]
    public void SimpleHeaderConverterTest_shouldConvertEmptyListToList()
    {
        var result = RoundTrip(null, new List<object?>());
        Assert.Equal(SchemaType.Array, result.Schema!.Type);
        Assert.Null(result.Schema.ValueSchemaOrNull);
        Assert.Empty((IList)result.Value!);
    }
}
