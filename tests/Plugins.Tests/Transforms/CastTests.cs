using System.Collections;
using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Connect.Source;
using OrleansConnect.Plugins.Transforms;
using Xunit;
using static OrleansConnect.Tests.TestRecords;

namespace OrleansConnect.Tests.Transforms;

public class CastTests
{
    private static Cast<SourceRecord>.Value ValueCast(string spec, bool replaceNullWithDefault = true)
    {
        var cast = new Cast<SourceRecord>.Value();
        cast.Configure(Props(("spec", spec), ("replace.null.with.default", replaceNullWithDefault ? "true" : "false")));
        return cast;
    }

    [Fact]
    public void NestedTypesAreOpenGenericsWithOneParameter()
    {
        Assert.Single(typeof(Cast<>.Key).GetGenericArguments());
        Assert.Single(typeof(Cast<>.Value).GetGenericArguments());
        Assert.True(typeof(Cast<>.Key).IsGenericTypeDefinition);
    }

    [Theory]
    [InlineData("", "Must specify at least one field to cast.")]
    [InlineData("foo:array", "Cast transformation does not support casting to ARRAY; supported types are [INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING]")]
    [InlineData("foo:bytes", "Cast transformation does not support casting to BYTES")]
    [InlineData("foo:nope", "Invalid type found in casting spec: nope")]
    [InlineData("a:b:c", "Invalid value [a:b:c] for configuration renames: Invalid rename mapping: a:b:c")]
    [InlineData("int8,foo:int16", "Cast transformations that specify a type to cast the entire value to may only specify a single cast in their spec")]
    public void BadSpecsAreConfigErrors(string spec, string message)
    {
        var e = Assert.Throws<ConfigException>(() => ValueCast(spec));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void MissingSpecIsAConfigError()
    {
        var cast = new Cast<SourceRecord>.Value();
        var e = Assert.Throws<ConfigException>(() => cast.Configure(Props()));
        Assert.Equal("Missing required configuration \"spec\" which has no default value.", e.Message);
    }

    [Fact]
    public void TypesAreCaseInsensitiveAndTrimmed()
    {
        var result = ValueCast(" foo : INT16 ").Apply(Value(null, Map(("foo", 300))))!;
        Assert.Equal((short)300, ((IDictionary)result.Value!)["foo"]);
    }

    [Fact]
    public void NullValuePassesThroughUnchanged()
    {
        var record = Value(Schema.OptionalInt32Schema, null);
        Assert.Same(record, ValueCast("int8").Apply(record));
    }

    [Theory]
    [InlineData(300, "int8", (sbyte)44)]
    [InlineData(2147483648L, "int32", int.MinValue)]
    [InlineData(1.9d, "int32", 1)]
    [InlineData(-1.9f, "int64", -1L)]
    [InlineData(0.5d, "boolean", false)]
    [InlineData(2.5d, "boolean", true)]
    [InlineData(true, "int16", (short)1)]
    [InlineData(false, "float64", 0d)]
    [InlineData("TRUE", "boolean", true)]
    [InlineData("yes", "boolean", false)]
    [InlineData("42", "int64", 42L)]
    [InlineData(" 1.5 ", "float64", 1.5d)]
    [InlineData(42, "string", "42")]
    [InlineData(1.0f, "string", "1.0")]
    [InlineData(true, "string", "true")]
    public void WholeValueSchemalessCastsLikeJava(object input, string type, object expected)
    {
        var result = ValueCast(type).Apply(Value(null, input))!;
        Assert.Null(result.ValueSchema);
        Assert.Equal(expected, result.Value);
    }

    [Theory]
    [InlineData("1.5", "int32")]
    [InlineData(" 42", "int32")]
    [InlineData("300", "int8")]
    [InlineData("abc", "float32")]
    public void StrictStringParsingFailuresAreDataErrors(string input, string type)
    {
        var e = Assert.Throws<DataException>(() => ValueCast(type).Apply(Value(null, input)));
        Assert.Equal($"Value ({input}) was out of range for requested data type", e.Message);
    }

    [Fact]
    public void BytesCastOnlyToBase64String()
    {
        var bytes = new byte[] { 1, 2, 3, 250 };
        Assert.Equal("AQID+g==", ValueCast("string").Apply(Value(Schema.BytesSchema, bytes))!.Value);
        var e = Assert.Throws<DataException>(() => ValueCast("int32").Apply(Value(Schema.BytesSchema, bytes)));
        Assert.StartsWith("Unexpected type in Cast transformation", e.Message);
    }

    [Fact]
    public void StructMapAndArrayInputsAreDataErrors()
    {
        var e = Assert.Throws<DataException>(() => ValueCast("string").Apply(Value(null, new List<object?> { 1 })));
        Assert.StartsWith("Cast transformation does not support casting from ARRAY", e.Message);
        var schema = SchemaBuilder.Struct().Field("a", Schema.Int32Schema).Build();
        Assert.Throws<DataException>(() => ValueCast("string").Apply(Value(schema, new Struct(schema).Put("a", 1))));
    }

    [Fact]
    public void WholeValueWithSchemaKeepsMetadataOptionalityAndCastsTheDefault()
    {
        var schema = SchemaBuilder.Int32().Optional().DefaultValue(7).Name("my.int").Version(3).Doc("d").Parameter("p", "v").Build();
        var result = ValueCast("string").Apply(Value(schema, 12))!;
        var updated = result.ValueSchema!;
        Assert.Equal(SchemaType.String, updated.Type);
        Assert.True(updated.IsOptional);
        Assert.Equal("7", updated.DefaultValue);
        Assert.Equal("my.int", updated.Name);
        Assert.Equal(3, updated.Version);
        Assert.Equal("d", updated.Doc);
        Assert.Equal("v", updated.Parameters!["p"]);
        Assert.Equal("12", result.Value);
    }

    [Fact]
    public void DecimalToStringKeepsTheLogicalNameOnAStringSchema()
    {
        var schema = ConnectDecimal.Schema(2);
        var result = ValueCast("string").Apply(Value(schema, 12.34m))!;
        Assert.Equal(SchemaType.String, result.ValueSchema!.Type);
        Assert.Equal(ConnectDecimal.LogicalName, result.ValueSchema.Name);
        Assert.Equal("12.34", result.Value);
    }

    [Fact]
    public void LogicalValuesAreEncodedBeforeNumericCasts()
    {
        Assert.Equal(19737L, ValueCast("int64").Apply(Value(Date.Schema(), Utc(2024, 1, 15)))!.Value);
        Assert.Equal(45_000, ValueCast("int32").Apply(Value(Time.Schema(), Utc(1970, 1, 1, 0, 0, 45)))!.Value);
        Assert.Equal(TestRecords.TimestampMillis, ValueCast("int64").Apply(Value(Timestamp.Schema(), new LogicalTime(TestRecords.TimestampMillis)))!.Value);
        Assert.Equal((sbyte)12, ValueCast("int8").Apply(Value(ConnectDecimal.Schema(2), 12.99m))!.Value);
    }

    // CastTest.castLogicalToPrimitive: logical values are encoded first; new Date(Long.MAX_VALUE) casts to
    // 9.223372036854776E18 as float64 (and, by Timestamp.fromLogical, to Long.MAX_VALUE as int64).
    [Fact]
    public void CastTest_castLogicalToPrimitive()
    {
        var schema = SchemaBuilder.Struct()
            .Field("date_to_int32", Date.Schema())
            .Field("timestamp_to_int64", Timestamp.Schema())
            .Field("time_to_int64", Time.Schema())
            .Field("timestamp_to_float64", Timestamp.Schema())
            .Field("max_timestamp_to_int64", Timestamp.Schema())
            .Field("min_timestamp_to_int64", Timestamp.Schema())
            .Field("null_timestamp_to_int32", Timestamp.Builder().Optional().Build())
            .Build();
        var value = new Struct(schema)
            .Put("date_to_int32", new LogicalTime(86_400_000L))
            .Put("timestamp_to_int64", new LogicalTime(0))
            .Put("time_to_int64", new LogicalTime(1))
            .Put("timestamp_to_float64", new LogicalTime(long.MaxValue))
            .Put("max_timestamp_to_int64", new LogicalTime(long.MaxValue))
            .Put("min_timestamp_to_int64", new LogicalTime(long.MinValue))
            .Put("null_timestamp_to_int32", null);

        var cast = ValueCast("date_to_int32:int32,timestamp_to_int64:int64,time_to_int64:int64,timestamp_to_float64:float64,"
            + "max_timestamp_to_int64:int64,min_timestamp_to_int64:int64,null_timestamp_to_int32:int32");
        var result = (Struct)cast.Apply(Value(schema, value))!.Value!;

        Assert.Equal(1, result.Get("date_to_int32"));
        Assert.Equal(0L, result.Get("timestamp_to_int64"));
        Assert.Equal(1L, result.Get("time_to_int64"));
        Assert.Equal(9.223372036854776E18, result.Get("timestamp_to_float64"));
        Assert.Equal(long.MaxValue, result.Get("max_timestamp_to_int64"));
        Assert.Equal(long.MinValue, result.Get("min_timestamp_to_int64"));
        Assert.Null(result.Get("null_timestamp_to_int32"));
        Assert.Equal(SchemaType.Float64, result.Schema.Field("timestamp_to_float64")!.Schema.Type);
    }

    // CastTest.castWholeDateRecordValueWithSchemaString: the text is Values.dateFormatFor(date).format(date); for
    // Long.MAX_VALUE that is the timestamp pattern on the year 292278994 (java.util.Date(Long.MAX_VALUE)'s fields).
    [Fact]
    public void CastTest_castWholeDateRecordValueWithSchemaString_at_the_end_of_the_long_range()
    {
        Assert.Equal("1970-01-02T00:00:00.001Z", ValueCast("string").Apply(Value(Timestamp.Schema(), new LogicalTime(86_400_001L)))!.Value);
        Assert.Equal("292278994-08-17T07:12:55.807Z", ValueCast("string").Apply(Value(Timestamp.Schema(), new LogicalTime(long.MaxValue)))!.Value);
    }

    [Fact]
    public void DatesRenderAsTextChosenByTheirMillisecondValue()
    {
        Assert.Equal("2024-01-15", ValueCast("string").Apply(Value(Date.Schema(), Utc(2024, 1, 15)))!.Value);
        Assert.Equal("00:00:00.000Z", ValueCast("string").Apply(Value(Date.Schema(), Utc(1970, 1, 1)))!.Value);
        Assert.Equal("12:30:00.000Z", ValueCast("string").Apply(Value(Time.Schema(), Utc(1970, 1, 1, 12, 30)))!.Value);
        Assert.Equal("2017-01-03T06:30:01.864Z",
            ValueCast("string").Apply(Value(Timestamp.Schema(), new LogicalTime(TestRecords.TimestampMillis)))!.Value);
    }

    [Fact]
    public void FieldCastRebuildsOnlyTheCastFieldsAndDropsTheirMetadata()
    {
        var schema = SchemaBuilder.Struct().Name("rec").Version(2)
            .Field("a", SchemaBuilder.Int32().Optional().DefaultValue(5).Build())
            .Field("d", ConnectDecimal.Schema(1))
            .Field("untouched", SchemaBuilder.String().Name("keep.me").Build())
            .Build();
        var value = new Struct(schema).Put("a", 300).Put("d", 1.5m).Put("untouched", "x");
        var result = ValueCast("a:int8,d:string,absent:int32").Apply(Value(schema, value))!;
        var updated = result.ValueSchema!;
        Assert.Equal("rec", updated.Name);
        Assert.Equal(2, updated.Version);
        var a = updated.Field("a")!.Schema;
        Assert.Equal(SchemaType.Int8, a.Type);
        Assert.True(a.IsOptional);
        Assert.Equal((sbyte)5, a.DefaultValue);
        Assert.Equal(Schema.StringSchema, updated.Field("d")!.Schema);
        Assert.Equal("keep.me", updated.Field("untouched")!.Schema.Name);
        var s = (Struct)result.Value!;
        Assert.Equal((sbyte)44, s.Get("a"));
        Assert.Equal("1.5", s.Get("d"));
        Assert.Equal("x", s.Get("untouched"));
    }

    [Fact]
    public void FieldCastOnAMapAddsMissingFieldsAsNull()
    {
        var result = ValueCast("a:int64,missing:string").Apply(Value(null, Map(("a", 7), ("b", "x"))))!;
        var map = (IDictionary)result.Value!;
        Assert.Equal(7L, map["a"]);
        Assert.Equal("x", map["b"]);
        Assert.True(map.Contains("missing"));
        Assert.Null(map["missing"]);
    }

    [Fact]
    public void ReplaceNullWithDefaultControlsNullFields()
    {
        var schema = SchemaBuilder.Struct().Field("a", SchemaBuilder.Int32().Optional().DefaultValue(9).Build()).Build();
        var value = new Struct(schema);
        Assert.Equal((long)9, ((Struct)ValueCast("a:int64").Apply(Value(schema, value))!.Value!).Get("a"));
        var kept = (Struct)ValueCast("a:int64", replaceNullWithDefault: false).Apply(Value(schema, value))!.Value!;
        Assert.Null(kept.GetWithoutDefault("a"));
    }

    [Fact]
    public void KeyVariantCastsTheKeyAndKeepsTheRest()
    {
        var cast = new Cast<SourceRecord>.Key();
        cast.Configure(Props(("spec", "string")));
        var record = new SourceRecord(null, null, "t", 1, Schema.Int32Schema, 5, Schema.StringSchema, "v", 10L);
        var result = cast.Apply(record)!;
        Assert.Equal("5", result.Key);
        Assert.Equal(SchemaType.String, result.KeySchema!.Type);
        Assert.Equal("v", result.Value);
        Assert.Equal(1, result.KafkaPartition);
        Assert.Equal(10L, result.Timestamp);
    }

    [Fact]
    public void SchemasAreCachedAcrossRecords()
    {
        var schema = SchemaBuilder.Struct().Field("a", Schema.Int32Schema).Build();
        var cast = ValueCast("a:string");
        var first = cast.Apply(Value(schema, new Struct(schema).Put("a", 1)))!;
        var second = cast.Apply(Value(schema, new Struct(schema).Put("a", 2)))!;
        Assert.Same(first.ValueSchema, second.ValueSchema);
    }
}
