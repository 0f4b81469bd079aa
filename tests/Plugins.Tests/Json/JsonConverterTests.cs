using System.Text;
using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Plugins.Json;
using Xunit;

namespace OrleansConnect.Tests.Converters;

public class JsonConverterTests
{
    private const string Topic = "topic";

    private static JsonConverter Converter(params (string Key, string Value)[] configs)
    {
        var converter = new JsonConverter();
        converter.Configure(configs.ToDictionary(c => c.Key, c => (string?)c.Value), isKey: false);
        return converter;
    }

    private static string Write(JsonConverter converter, Schema? schema, object? value) =>
        Encoding.UTF8.GetString(converter.FromConnectData(Topic, null, schema, value)!);

    private static SchemaAndValue Read(JsonConverter converter, string json) =>
        converter.ToConnectData(Topic, null, Encoding.UTF8.GetBytes(json));

    [Fact]
    public void Writes_a_struct_envelope_exactly_as_kafka()
    {
        var schema = SchemaBuilder.Struct().Field("a", Schema.Int32Schema).Field("b", Schema.OptionalStringSchema).Build();
        var value = new Struct(schema).Put("a", 1).Put("b", "x");

        Assert.Equal(
            "{\"schema\":{\"type\":\"struct\",\"fields\":[{\"type\":\"int32\",\"optional\":false,\"field\":\"a\"},{\"type\":\"string\",\"optional\":true,\"field\":\"b\"}],\"optional\":false},\"payload\":{\"a\":1,\"b\":\"x\"}}",
            Write(Converter(), schema, value));
    }

    [Fact]
    public void Writes_primitives_and_logical_types_as_kafka()
    {
        var converter = Converter();

        Assert.Equal("{\"schema\":{\"type\":\"int32\",\"optional\":false},\"payload\":12}", Write(converter, Schema.Int32Schema, 12));
        Assert.Equal("{\"schema\":{\"type\":\"double\",\"optional\":false},\"payload\":12.0}", Write(converter, Schema.Float64Schema, 12.0));
        Assert.Equal("{\"schema\":{\"type\":\"float\",\"optional\":true},\"payload\":12.34}", Write(converter, Schema.OptionalFloat32Schema, 12.34f));
        Assert.Equal("{\"schema\":{\"type\":\"bytes\",\"optional\":false},\"payload\":\"AQID\"}", Write(converter, Schema.BytesSchema, new byte[] { 1, 2, 3 }));
        Assert.Equal(
            "{\"schema\":{\"type\":\"bytes\",\"optional\":false,\"name\":\"org.apache.kafka.connect.data.Decimal\",\"version\":1,\"parameters\":{\"scale\":\"2\"}},\"payload\":\"AJw=\"}",
            Write(converter, ConnectDecimal.Schema(2), 1.56m));
        Assert.Equal(
            "{\"schema\":{\"type\":\"int64\",\"optional\":false,\"name\":\"org.apache.kafka.connect.data.Timestamp\",\"version\":1},\"payload\":1000}",
            Write(converter, Timestamp.Schema(), new LogicalTime(1000)));
        Assert.Equal(
            "{\"schema\":{\"type\":\"map\",\"keys\":{\"type\":\"int32\",\"optional\":false},\"values\":{\"type\":\"string\",\"optional\":false},\"optional\":false},\"payload\":[[1,\"one\"]]}",
            Write(converter, SchemaBuilder.Map(Schema.Int32Schema, Schema.StringSchema).Build(), new Dictionary<object, object?> { [1] = "one" }));
        Assert.Equal(
            "{\"schema\":{\"type\":\"array\",\"items\":{\"type\":\"boolean\",\"optional\":true},\"optional\":false,\"name\":\"n\",\"version\":2,\"doc\":\"d\",\"default\":[true]},\"payload\":[false,null]}",
            Write(converter, SchemaBuilder.Array(Schema.OptionalBooleanSchema).Name("n").Version(2).Doc("d").DefaultValue(new List<object?> { true }).Build(),
                new List<object?> { false, null }));
    }

    public static TheoryData<Schema, object?> RoundTrips()
    {
        var inner = SchemaBuilder.Struct().Name("inner").Optional().Field("n", Schema.Int64Schema).Build();
        var structSchema = SchemaBuilder.Struct().Name("outer").Version(3).Doc("doc").Parameter("p", "v")
            .Field("i8", Schema.Int8Schema)
            .Field("i16", Schema.Int16Schema)
            .Field("i32", SchemaBuilder.Int32().DefaultValue(7).Build())
            .Field("i64", Schema.Int64Schema)
            .Field("f32", Schema.Float32Schema)
            .Field("f64", Schema.Float64Schema)
            .Field("bool", Schema.BooleanSchema)
            .Field("str", Schema.OptionalStringSchema)
            .Field("bytes", Schema.BytesSchema)
            .Field("dec", ConnectDecimal.Schema(4))
            .Field("date", Date.Schema())
            .Field("time", Time.Schema())
            .Field("ts", Timestamp.Schema())
            .Field("arr", SchemaBuilder.Array(Schema.StringSchema).Build())
            .Field("smap", SchemaBuilder.Map(Schema.StringSchema, Schema.Int32Schema).Build())
            .Field("imap", SchemaBuilder.Map(Schema.Int64Schema, inner).Build())
            .Field("inner", inner)
            .Build();
        var value = new Struct(structSchema)
            .Put("i8", (sbyte)-8).Put("i16", (short)1600).Put("i32", 32).Put("i64", long.MaxValue)
            .Put("f32", 1.25f).Put("f64", -9.223372036854776E18).Put("bool", true).Put("str", "héllo \"quoted\" <tag>")
            .Put("bytes", new byte[] { 0, 255, 10 }).Put("dec", -12.3456m)
            .Put("date", LogicalTime.FromDateTime(new DateTime(2020, 1, 2, 0, 0, 0, DateTimeKind.Utc)))
            .Put("time", new LogicalTime(3_600_001))
            .Put("ts", LogicalTime.FromDateTime(new DateTime(2021, 3, 4, 5, 6, 7, 8, DateTimeKind.Utc)))
            .Put("arr", new List<object?> { "a", "b" })
            .Put("smap", new Dictionary<object, object?> { ["k"] = 1 })
            .Put("imap", new Dictionary<object, object?> { [5L] = new Struct(inner).Put("n", 9L), [6L] = null })
            .Put("inner", new Struct(inner).Put("n", 1L));

        return new TheoryData<Schema, object?>
        {
            { Schema.Int8Schema, (sbyte)-128 },
            { Schema.Int16Schema, (short)32767 },
            { Schema.Int32Schema, int.MinValue },
            { Schema.Int64Schema, long.MinValue },
            { Schema.Float32Schema, 3.4028235E38f },
            { Schema.Float64Schema, 0.1 },
            { Schema.BooleanSchema, false },
            { Schema.StringSchema, "text" },
            { Schema.OptionalStringSchema, null },
            { Schema.BytesSchema, new byte[] { 1, 2, 3 } },
            { ConnectDecimal.Schema(0), 79228162514264337593543950335m },
            { ConnectDecimal.Schema(2), -0.01m },
            { Date.Schema(), LogicalTime.FromDateTime(new DateTime(1969, 7, 20, 0, 0, 0, DateTimeKind.Utc)) },
            { Time.Schema(), new LogicalTime(86_399_999) },
            { Timestamp.Schema(), LogicalTime.FromDateTime(new DateTime(1900, 1, 1, 0, 0, 0, 1, DateTimeKind.Utc)) },
            { SchemaBuilder.Array(Schema.OptionalInt32Schema).Build(), new List<object?> { 1, null, 3 } },
            { structSchema, value },
        };
    }

    [Theory]
    [MemberData(nameof(RoundTrips))]
    public void Envelope_round_trips_schema_and_value(Schema schema, object? value)
    {
        var converter = Converter();

        var bytes = converter.FromConnectData(Topic, null, schema, value);
        var back = converter.ToConnectData(Topic, null, bytes);

        Assert.Equal(schema, back.Schema);
        Assert.True(Values.DeepEquals(value, back.Value), $"{Values.ToJavaString(value)} != {Values.ToJavaString(back.Value)}");
    }

    [Theory]
    [MemberData(nameof(RoundTrips))]
    public void Decimal_format_numeric_round_trips_too(Schema schema, object? value)
    {
        var converter = Converter(("decimal.format", "numeric"));

        var back = converter.ToConnectData(Topic, null, converter.FromConnectData(Topic, null, schema, value));

        Assert.True(Values.DeepEquals(value, back.Value));
    }

    // JsonConverter.java writes Timestamp.fromLogical (Date.getTime(), a long) and reads Timestamp.toLogical(schema,
    // value.longValue()): any long round-trips, as JsonConverterTest.timestampToConnect shows for 4000000000.
    [Theory]
    [InlineData(long.MaxValue)]
    [InlineData(long.MinValue)]
    [InlineData(4_000_000_000L)]
    public void Timestamp_of_any_long_round_trips_JsonConverter_java(long millis)
    {
        var converter = Converter();
        var json = Write(converter, Timestamp.Schema(), new LogicalTime(millis));
        Assert.Equal(
            "{\"schema\":{\"type\":\"int64\",\"optional\":false,\"name\":\"org.apache.kafka.connect.data.Timestamp\",\"version\":1},\"payload\":"
            + millis.ToString(System.Globalization.CultureInfo.InvariantCulture) + "}", json);
        Assert.Equal(new SchemaAndValue(Timestamp.Schema(), new LogicalTime(millis)), Read(converter, json));
    }

    // JsonConverterTest.timestampToConnectWithDefaultValue: "default": 42 is new java.util.Date(42).
    [Fact]
    public void Timestamp_default_is_a_logical_value_JsonConverterTest()
    {
        var read = Read(Converter(),
            "{ \"schema\": { \"type\": \"int64\", \"name\": \"org.apache.kafka.connect.data.Timestamp\", \"version\": 1, \"default\": 42 }, \"payload\": null }");
        Assert.Equal(Timestamp.Builder().DefaultValue(new LogicalTime(42)).Build(), read.Schema);
        Assert.Equal(new LogicalTime(42), read.Value);
    }

    // Date.toLogical(int) is days * MILLIS_PER_DAY in long arithmetic: the extreme int days round-trip too.
    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(int.MinValue)]
    public void Date_of_any_int_day_round_trips_JsonConverter_java(int days)
    {
        var converter = Converter();
        var value = Date.ToLogical(Date.Schema(), days);
        var json = Write(converter, Date.Schema(), value);
        Assert.EndsWith("\"payload\":" + days.ToString(System.Globalization.CultureInfo.InvariantCulture) + "}", json);
        Assert.Equal(new SchemaAndValue(Date.Schema(), value), Read(converter, json));
    }

    // JsonConverter.java: asJsonSchema(null) is null, so a missing element schema is "items": null, and
    // convertToJson writes the elements with a null schema (schemaless).
    [Fact]
    public void An_array_without_element_schema_writes_items_null_and_schemaless_elements_JsonConverter_java()
    {
        var converter = Converter();
        Assert.Equal("{\"schema\":{\"type\":\"array\",\"items\":null,\"optional\":false},\"payload\":[1,\"a\"]}",
            Write(converter, SchemaBuilder.ArrayOfNull().Build(), new List<object?> { (sbyte)1, "a" }));
        Assert.Equal("{\"schema\":{\"type\":\"map\",\"keys\":{\"type\":\"string\",\"optional\":false},\"values\":null,\"optional\":false},\"payload\":{\"a\":1,\"b\":\"x\"}}",
            Write(converter, SchemaBuilder.MapWithNullValues(Schema.StringSchema).Build(), new Dictionary<object, object?> { ["a"] = (sbyte)1, ["b"] = "x" }));
        // Reading such a schema back fails as in Kafka ("Array schema did not specify the element type").
        Assert.Throws<DataException>(() => Read(converter, "{\"schema\":{\"type\":\"array\",\"items\":null,\"optional\":false},\"payload\":[1]}"));
    }

    [Fact]
    public void Decimal_format_numeric_writes_a_number_keeping_the_scale()
    {
        var converter = Converter(("decimal.format", "NUMERIC"));

        var json = Write(converter, ConnectDecimal.Schema(4), 1.5600m);

        Assert.EndsWith("\"payload\":1.5600}", json);
    }

    [Fact]
    public void Decimal_reads_from_base64_or_a_number_which_keeps_its_own_scale()
    {
        var converter = Converter();
        const string schema = "{\"type\":\"bytes\",\"name\":\"org.apache.kafka.connect.data.Decimal\",\"version\":1,\"parameters\":{\"scale\":\"2\"}}";

        Assert.Equal(1.56m, Read(converter, $"{{\"schema\":{schema},\"payload\":\"AJw=\"}}").Value);
        var number = (decimal)Read(converter, $"{{\"schema\":{schema},\"payload\":1.5}}").Value!;
        Assert.Equal(1, number.Scale);
        Assert.Throws<DataException>(() => Read(converter, $"{{\"schema\":{schema},\"payload\":true}}"));
    }

    [Fact]
    public void Null_handling()
    {
        var converter = Converter();

        Assert.Null(converter.FromConnectData(Topic, null, null, null));
        Assert.Equal(SchemaAndValue.Null, converter.ToConnectData(Topic, null, null));
        Assert.Equal("{\"schema\":{\"type\":\"string\",\"optional\":true},\"payload\":null}", Write(converter, Schema.OptionalStringSchema, null));
        var e = Assert.Throws<DataException>(() => converter.FromConnectData(Topic, null, Schema.StringSchema, null));
        Assert.Equal("Conversion error: null value for field that is required and has no default value", e.Message);
        Assert.Equal(SchemaAndValue.Null, Read(converter, "{\"schema\":null,\"payload\":null}"));
    }

    [Fact]
    public void Null_is_replaced_by_the_default_unless_disabled()
    {
        var schema = SchemaBuilder.Int32().Optional().DefaultValue(5).Build();
        var json = "{\"schema\":{\"type\":\"int32\",\"optional\":true,\"default\":5},\"payload\":null}";

        Assert.Equal(5, Read(Converter(), json).Value);
        Assert.Null(Read(Converter(("replace.null.with.default", "false")), json).Value);
        Assert.EndsWith("\"payload\":5}", Write(Converter(), schema, null));
        Assert.EndsWith("\"payload\":null}", Write(Converter(("replace.null.with.default", "false")), schema, null));
    }

    [Fact]
    public void Schemas_enabled_rejects_plain_json()
    {
        var converter = Converter();
        const string message = "JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields and may not contain additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration.";

        foreach (var json in new[] { "{\"a\":1}", "42", "{\"schema\":null,\"payload\":1,\"extra\":2}", "{\"schema\":null}", "[]" })
        {
            var e = Assert.Throws<DataException>(() => Read(converter, json));
            Assert.Equal(message, e.Message);
        }
        Assert.Throws<DataException>(() => converter.ToConnectData(Topic, null, []));
    }

    [Fact]
    public void Malformed_json_is_a_data_exception()
    {
        var e = Assert.Throws<DataException>(() => Read(Converter(), "{\"schema\":"));

        Assert.StartsWith("Converting byte[] to Kafka Connect data failed due to serialization error: ", e.Message);
        Assert.Throws<DataException>(() => Read(Converter(("schemas.enable", "false")), "not json"));
    }

    [Fact]
    public void Invalid_schemas_are_data_exceptions()
    {
        var converter = Converter();

        Assert.Throws<DataException>(() => Read(converter, "{\"schema\":{\"type\":\"unknown\"},\"payload\":1}"));
        Assert.Throws<DataException>(() => Read(converter, "{\"schema\":{\"optional\":true},\"payload\":1}"));
        Assert.Throws<DataException>(() => Read(converter, "{\"schema\":{\"type\":\"array\"},\"payload\":[]}"));
        Assert.Throws<DataException>(() => Read(converter, "{\"schema\":{\"type\":\"int32\",\"parameters\":{\"a\":1}},\"payload\":1}"));
        Assert.Throws<DataException>(() => Read(converter, "{\"schema\":{\"type\":\"int32\"},\"payload\":null}"));
        Assert.Throws<DataException>(() => Read(converter, "{\"schema\":{\"type\":\"struct\",\"fields\":[]},\"payload\":[]}"));
    }

    [Fact]
    public void Values_that_do_not_fit_the_schema_are_rejected_on_write()
    {
        var converter = Converter();

        var e = Assert.Throws<DataException>(() => converter.FromConnectData(Topic, null, Schema.Int32Schema, "x"));
        Assert.Equal("Invalid type for INT32: class System.String", e.Message);
        Assert.Throws<DataException>(() => converter.FromConnectData(Topic, null, ConnectDecimal.Schema(2), 1.5m));
        Assert.Throws<DataException>(() => converter.FromConnectData(Topic, null, null, 1.5m));
        Assert.Throws<DataException>(() => converter.FromConnectData(Topic, null, null, new object()));
    }

    [Fact]
    public void Optional_flag_is_only_a_json_true()
    {
        var converter = Converter();

        Assert.False(Read(converter, "{\"schema\":{\"type\":\"int32\",\"optional\":\"true\"},\"payload\":1}").Schema!.IsOptional);
        Assert.True(Read(converter, "{\"schema\":{\"type\":\"int32\",\"optional\":true},\"payload\":1}").Schema!.IsOptional);
    }

    [Fact]
    public void Payload_types_are_not_checked_and_integers_wrap_like_kafka()
    {
        var converter = Converter();

        Assert.Equal((sbyte)44, Read(converter, "{\"schema\":{\"type\":\"int8\"},\"payload\":300}").Value);
        Assert.Equal(0, Read(converter, "{\"schema\":{\"type\":\"int32\"},\"payload\":\"12\"}").Value);
        Assert.Equal(12, Read(converter, "{\"schema\":{\"type\":\"int32\"},\"payload\":000012}").Value);
    }

    [Fact]
    public void Schemaless_reads_any_json()
    {
        var converter = Converter(("schemas.enable", "false"));

        var result = Read(converter, "{\"a\":[1,2.5,\"s\",true,null,{\"b\":-3}],\"big\":18446744073709551617}");

        Assert.Null(result.Schema);
        var map = Assert.IsType<Dictionary<object, object?>>(result.Value);
        var list = Assert.IsType<List<object?>>(map["a"]);
        Assert.Equal(1L, list[0]);
        Assert.Equal(2.5, list[1]);
        Assert.Equal("s", list[2]);
        Assert.Equal(true, list[3]);
        Assert.Null(list[4]);
        Assert.Equal(-3L, Assert.IsType<Dictionary<object, object?>>(list[5])["b"]);
        Assert.Equal(1L, map["big"]);
        Assert.Equal(SchemaAndValue.Null, converter.ToConnectData(Topic, null, []));
    }

    [Fact]
    public void Schemaless_writes_bare_values_and_round_trips_source_offsets()
    {
        var converter = Converter(("schemas.enable", "false"));
        var key = new List<object?> { "my-connector", new Dictionary<string, object?> { ["file"] = "/tmp/in.txt" } };
        var offset = new Dictionary<string, object?> { ["position"] = 1234567890123L, ["ratio"] = 0.5, ["done"] = false };

        var keyJson = Write(converter, null, key);
        var offsetJson = Write(converter, null, offset);

        Assert.Equal("[\"my-connector\",{\"file\":\"/tmp/in.txt\"}]", keyJson);
        Assert.Equal("{\"position\":1234567890123,\"ratio\":0.5,\"done\":false}", offsetJson);
        var readKey = Assert.IsType<List<object?>>(Read(converter, keyJson).Value);
        Assert.Equal("my-connector", readKey[0]);
        Assert.Equal("/tmp/in.txt", Assert.IsType<Dictionary<object, object?>>(readKey[1])["file"]);
        var readOffset = Assert.IsType<Dictionary<object, object?>>(Read(converter, offsetJson).Value);
        Assert.Equal(1234567890123L, readOffset["position"]);
        Assert.Equal(0.5, readOffset["ratio"]);
        Assert.Equal(false, readOffset["done"]);
    }

    [Fact]
    public void Schemaless_maps_with_non_string_keys_are_pairs_and_bytes_are_base64()
    {
        var converter = Converter(("schemas.enable", "false"));

        Assert.Equal("[[1,\"a\"]]", Write(converter, null, new Dictionary<object, object?> { [1] = "a" }));
        Assert.Equal("\"AQI=\"", Write(converter, null, new byte[] { 1, 2 }));
        Assert.Equal("null", Write(converter, Schema.OptionalInt32Schema, null));
    }

    [Fact]
    public void Envelope_with_null_schema_is_schemaless()
    {
        var result = Read(Converter(), "{\"schema\":null,\"payload\":{\"a\":1}}");

        Assert.Null(result.Schema);
        Assert.Equal(1L, Assert.IsType<Dictionary<object, object?>>(result.Value)["a"]);
    }

    [Fact]
    public void Header_converter_uses_the_same_format()
    {
        var converter = new JsonConverter();
        converter.Configure(new Dictionary<string, string?> { ["schemas.enable"] = "false" });

        var bytes = converter.FromConnectHeader(Topic, "h", Schema.StringSchema, "v");

        Assert.Equal("\"v\"", Encoding.UTF8.GetString(bytes!));
        Assert.Equal("v", converter.ToConnectHeader(Topic, "h", bytes).Value);
    }

    [Fact]
    public void Config_has_kafka_keys_and_rejects_bad_values()
    {
        var keys = new JsonConverter().Config.ConfigKeys;

        Assert.True((bool)keys["schemas.enable"].DefaultValue!);
        Assert.Equal(1000, keys["schemas.cache.size"].DefaultValue);
        Assert.Equal("BASE64", keys["decimal.format"].DefaultValue);
        Assert.True((bool)keys["replace.null.with.default"].DefaultValue!);
        Assert.True(keys.ContainsKey("converter.type"));
        Assert.Throws<ConfigException>(() => Converter(("decimal.format", "hex")));
        Assert.Throws<ConfigException>(() => Converter(("schemas.enable", "yes")));
    }

    [Fact]
    public void Output_is_stable_across_many_writes_on_one_thread()
    {
        var converter = Converter();
        var schema = SchemaBuilder.Struct().Field("s", Schema.StringSchema).Build();

        var first = Write(converter, schema, new Struct(schema).Put("s", new string('x', 5000)));
        var second = Write(converter, schema, new Struct(schema).Put("s", "y"));

        Assert.Contains(new string('x', 5000), first);
        Assert.EndsWith("\"payload\":{\"s\":\"y\"}}", second);
    }
}
