using System.Collections;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Plugins.Transforms.Util;
using Xunit;
using static OrleansConnect.Tests.TestRecords;

namespace OrleansConnect.Tests.Util;

public class ConnectValuesTests
{
    // ---- Element schemas of parsed arrays and maps, from Kafka's ValuesTest.java
    // (connect/api/src/test/java/org/apache/kafka/connect/data/ValuesTest.java).

    private static void AssertArrayWithoutElementSchema(IList<object?> expected, string text)
    {
        var parsed = ConnectValues.ParseString(text);
        Assert.Equal(SchemaType.Array, parsed.Schema!.Type);
        Assert.Null(parsed.Schema.ValueSchemaOrNull);
        Assert.Equal(expected, (IList<object?>)parsed.Value!);
    }

    [Fact]
    public void ValuesTest_shouldParseStringListWithMultipleElementTypes()
    {
        // No common element type, whatever the order: an ARRAY without element schema, elements as parsed.
        AssertArrayWithoutElementSchema([(sbyte)1, (sbyte)2, (short)300, "four"], "[1, 2, 300, \"four\"]");
        AssertArrayWithoutElementSchema([(sbyte)2, (short)300, "four", (sbyte)1], "[2, 300, \"four\", 1]");
        AssertArrayWithoutElementSchema([(short)300, "four", (sbyte)1, (sbyte)2], "[300, \"four\", 1, 2]");
        AssertArrayWithoutElementSchema(["four", (sbyte)1, (sbyte)2, (short)300], "[\"four\", 1, 2, 300]");
    }

    private static void AssertMapWithoutValueSchema(Dictionary<object, object?> expected, string text, Schema? expectedKeySchema)
    {
        var parsed = ConnectValues.ParseString(text);
        Assert.Equal(SchemaType.Map, parsed.Schema!.Type);
        Assert.Null(parsed.Schema.ValueSchemaOrNull);
        Assert.Equal(expectedKeySchema, parsed.Schema.KeySchemaOrNull);
        Assert.True(Values.DeepEquals(expected, parsed.Value), Values.ToJavaString(parsed.Value));
    }

    [Fact]
    public void ValuesTest_shouldParseStringMapWithMultipleKeyTypes()
    {
        // Keys of no common type: neither keys nor values get a schema, and nothing is aligned.
        var expected = new Dictionary<object, object?> { [(sbyte)1] = (sbyte)1, [(sbyte)2] = (sbyte)1, [(short)300] = (short)300, ["four"] = (sbyte)1 };
        AssertMapWithoutValueSchema(expected, "{1:1, 2:1, 300:300, \"four\":1}", null);
        AssertMapWithoutValueSchema(expected, "{2:1, 300:300, \"four\":1, 1:1}", null);
        AssertMapWithoutValueSchema(expected, "{300:300, \"four\":1, 1:1, 2:1}", null);
        AssertMapWithoutValueSchema(expected, "{\"four\":1, 1:1, 2:1, 300:300}", null);
    }

    [Fact]
    public void ValuesTest_shouldParseStringMapWithMultipleValueTypes()
    {
        // Keys share int16, values have no common type: keys are aligned to int16, values stay as parsed.
        var expected = new Dictionary<object, object?> { [(short)1] = (sbyte)1, [(short)2] = (sbyte)1, [(short)300] = (short)300, [(short)4] = "four" };
        AssertMapWithoutValueSchema(expected, "{1:1, 2:1, 300:300, 4:\"four\"}", Schema.Int16Schema);
        AssertMapWithoutValueSchema(expected, "{2:1, 300:300, 4:\"four\", 1:1}", Schema.Int16Schema);
        AssertMapWithoutValueSchema(expected, "{300:300, 4:\"four\", 1:1, 2:1}", Schema.Int16Schema);
        AssertMapWithoutValueSchema(expected, "{4:\"four\", 1:1, 2:1, 300:300}", Schema.Int16Schema);
    }

    [Fact]
    public void ValuesTest_shouldParseEmptyArray_and_shouldParseNullArrayElements()
    {
        AssertArrayWithoutElementSchema([], "[]");
        AssertArrayWithoutElementSchema([null], "[null]");
        AssertArrayWithoutElementSchema([null, null], "[null,null]");
    }

    // A null next to typed elements cannot be aligned to the (required) common schema: the text stays a string.
    [Theory]
    [InlineData("[1, null]")] // ValuesTest.shouldParseStringListWithNullLastAsString
    [InlineData("[null, 1]")] // ValuesTest.shouldParseStringListWithNullFirstAsString
    [InlineData("[1, 2, 3,,,]")] // ValuesTest.shouldParseStringListWithExtraDelimitersAndReturnString
    public void ValuesTest_listsThatCannotBeAlignedAreStrings(string text)
    {
        Assert.Equal(new SchemaAndValue(Schema.StringSchema, text), ConnectValues.ParseString(text));
    }

    [Fact]
    public void ValuesTest_shouldParseEmptyMap()
    {
        var parsed = ConnectValues.ParseString("{}");
        Assert.Equal(SchemaType.Map, parsed.Schema!.Type);
        Assert.Null(parsed.Schema.KeySchemaOrNull);
        Assert.Null(parsed.Schema.ValueSchemaOrNull);
        Assert.Empty((IDictionary)parsed.Value!);
    }

    [Fact]
    public void ValuesTest_shouldParseNullMapValues()
    {
        AssertMapWithoutValueSchema(new Dictionary<object, object?> { [(sbyte)3] = null }, "{3: null}", Schema.Int8Schema);
        AssertMapWithoutValueSchema(new Dictionary<object, object?> { ["a"] = null }, "{\"a\":null}", Schema.StringSchema);
        // A null key is not a map: the text stays a string (ValuesTest.shouldNotParseAsMapWithNullKeys).
        Assert.Equal(new SchemaAndValue(Schema.StringSchema, "{null: 3}"), ConnectValues.ParseString("{null: 3}"));
    }

    [Fact]
    public void ValuesTest_shouldParseNestedArray_and_shouldParseArrayContainingMap()
    {
        // The inner empty array (map) has no element schema; the outer one has the inner's schema as element schema.
        var nested = ConnectValues.ParseString("[[]]");
        Assert.Equal(SchemaBuilder.Array(SchemaBuilder.ArrayOfNull().Build()).Build(), nested.Schema);
        Assert.Null(nested.Schema!.ValueSchema.ValueSchemaOrNull);
        var ofMap = ConnectValues.ParseString("[{}]");
        Assert.Equal(SchemaBuilder.Array(SchemaBuilder.MapOfNull().Build()).Build(), ofMap.Schema);
        // Nested lists with elements: [[1,2],[3]] is an array of arrays of int8.
        var full = ConnectValues.ParseString("[[1,2],[3]]");
        Assert.Equal(SchemaBuilder.Array(SchemaBuilder.Array(Schema.Int8Schema).Build()).Build(), full.Schema);
    }

    [Fact]
    public void ValuesTest_shouldParseNestedMap_and_shouldParseMapContainingArray()
    {
        var nested = ConnectValues.ParseString("{\"a\":{}}");
        Assert.Equal(SchemaBuilder.Map(Schema.StringSchema, SchemaBuilder.MapOfNull().Build()).Build(), nested.Schema);
        var ofArray = ConnectValues.ParseString("{\"a\":[]}");
        Assert.Equal(SchemaBuilder.Map(Schema.StringSchema, SchemaBuilder.ArrayOfNull().Build()).Build(), ofArray.Schema);
    }

    [Fact]
    public void ValuesTest_shouldNotConvertArrayValuesToDecimal()
    {
        // A quoted number stays a string, and strings do not merge with numbers: no element schema, nothing aligned.
        AssertArrayWithoutElementSchema(["1.0", 9223372036854775808m, -9223372036854775809m, (sbyte)1, (sbyte)1],
            "[\"1.0\", 9223372036854775808, -9223372036854775809, 1, 1]");
    }

    [Fact]
    public void ValuesTest_shouldParseArrayOfOnlyDecimals()
    {
        var parsed = ConnectValues.ParseString("[9223372036854775808, -9223372036854775809]");
        Assert.Equal(SchemaBuilder.Array(ConnectDecimal.Schema(0)).Build(), parsed.Schema);
        Assert.Equal(new List<object?> { 9223372036854775808m, -9223372036854775809m }, parsed.Value);
    }

    // ---- Values.inferSchema, from Kafka's Values.java and ValuesTest.java.

    [Fact]
    public void ValuesTest_shouldInferByteSchema_and_shouldInferStructSchema()
    {
        Assert.Equal(Schema.BytesSchema, ConnectValues.InferSchema(new byte[1]));
        var st = new Struct(SchemaBuilder.Struct().Build());
        Assert.Equal(st.Schema, ConnectValues.InferSchema(st));
    }

    [Fact]
    public void ValuesTest_shouldInferNoSchemaForEmptyList_and_EmptyMap()
    {
        Assert.Null(ConnectValues.InferSchema(new List<object?>()));
        Assert.Null(ConnectValues.InferSchema(new Dictionary<object, object?>()));
    }

    [Fact]
    public void ValuesTest_shouldInferNoSchemaForListContainingObject_and_MapContainingObject()
    {
        Assert.Null(ConnectValues.InferSchema(new List<object?> { new object() }));
        Assert.Null(ConnectValues.InferSchema(new Dictionary<object, object?> { [new object()] = new object() }));
    }

    [Fact]
    public void Values_inferSchema_mixedListOrMapHasNoSchema()
    {
        // Values.inferListSchema / inferMapSchema: SchemaDetector.canDetect is false for a second type, giving null
        // (unlike parseString, which keeps an ARRAY/MAP schema without element schema).
        Assert.Null(ConnectValues.InferSchema(new List<object?> { (sbyte)1, "a" }));
        Assert.Null(ConnectValues.InferSchema(new Dictionary<object, object?> { ["a"] = 1, [2] = 1 }));
        Assert.Null(ConnectValues.InferSchema(new Dictionary<object, object?> { ["a"] = 1, ["b"] = "x" }));
    }

    [Fact]
    public void Values_inferSchema_elementSchemasAreTheTypeOnly()
    {
        // SchemaDetector.schema() builds SchemaBuilder.type(knownType), optional when a null was seen: the element
        // schema of a list of lists is an ARRAY without its own element schema, even when the inner lists have one.
        Assert.Equal(SchemaBuilder.Array(Schema.OptionalInt32Schema).Build(), ConnectValues.InferSchema(new List<object?> { 1, null }));
        Assert.Equal(SchemaBuilder.Array(SchemaBuilder.ArrayOfNull().Build()).Build(),
            ConnectValues.InferSchema(new List<object?> { new List<object?> { 1 }, new List<object?> { 2 } }));
        Assert.Equal(SchemaBuilder.Map(Schema.StringSchema, SchemaBuilder.MapOfNull().Build()).Build(),
            ConnectValues.InferSchema(new Dictionary<object, object?> { ["a"] = new Dictionary<object, object?> { ["b"] = 1L } }));
        // A list of nulls only: Kafka's SchemaBuilder.type(null) throws; here no schema is inferred.
        Assert.Null(ConnectValues.InferSchema(new List<object?> { null }));
    }

    [Fact]
    public void QuotedTemporalTextInsideArraysIsTemporal()
    {
        var parsed = ConnectValues.ParseString("[\"2024-01-15\"]");
        Assert.Equal(SchemaBuilder.Array(Date.Schema()).Build(), parsed.Schema);
        Assert.Equal(Utc(2024, 1, 15), ((IList)parsed.Value!)[0]);
    }

    [Fact]
    public void EscapedColonsInTimes()
    {
        var parsed = ConnectValues.ParseString("12\\:30\\:00.000Z");
        Assert.Equal(Time.Schema(), parsed.Schema);
    }

    [Fact]
    public void ConversionsFollowJava()
    {
        Assert.Equal((sbyte)44, ConnectValues.ConvertToByte(null, "300"));
        Assert.Equal(12L, ConnectValues.ConvertToLong(null, "12.7"));
        Assert.Equal(-12L, ConnectValues.ConvertToLong(null, "-12.7"));
        Assert.Equal(1.5f, ConnectValues.ConvertToFloat(null, "1.5"));
        Assert.Equal(true, ConnectValues.ConvertToBoolean(null, "true"));
        Assert.Equal(false, ConnectValues.ConvertToBoolean(null, 0));
        Assert.Equal(19737L, ConnectValues.ConvertToLong(Date.Schema(), Utc(2024, 1, 15)));
        // Values.convertToLong of a Timestamp is Timestamp.fromLogical: exact for any long.
        Assert.Equal(long.MaxValue, ConnectValues.ConvertToLong(Timestamp.Schema(), new LogicalTime(long.MaxValue)));
        Assert.Equal((double)long.MinValue, ConnectValues.ConvertToDouble(Timestamp.Schema(), new LogicalTime(long.MinValue)));
        // Values.convertToString picks the pattern from the millisecond value (dateFormatFor).
        Assert.Equal("292278994-08-17T07:12:55.807Z", ConnectValues.ConvertToString(Timestamp.Schema(), new LogicalTime(long.MaxValue)));
        Assert.Null(ConnectValues.ConvertToInteger(null, null));
        var e = Assert.Throws<DataException>(() => ConnectValues.ConvertToInteger(null, "foo"));
        Assert.Equal("Unable to convert foo (class System.String) to a number", e.Message);
    }

    [Fact]
    public void UnknownValueTypesCannotBeWritten()
    {
        Assert.Throws<DataException>(() => ConnectValues.ConvertToString(null, new object()));
    }
}

public class SchemaUpdateCacheTests
{
    [Fact]
    public void EvictsTheLeastRecentlyUsedEntry()
    {
        var cache = new SchemaUpdateCache<string>(capacity: 2);
        var a = SchemaBuilder.Int8().Name("a").Build();
        var b = SchemaBuilder.Int8().Name("b").Build();
        var c = SchemaBuilder.Int8().Name("c").Build();
        cache.Put(a, "A");
        cache.Put(b, "B");
        Assert.Equal("A", cache.Get(a)); // a is now the most recent
        cache.Put(c, "C");
        Assert.Null(cache.Get(b));
        Assert.Equal("A", cache.Get(SchemaBuilder.Int8().Name("a").Build())); // equal schemas hit
        Assert.Equal(2, cache.Count);
    }
}
