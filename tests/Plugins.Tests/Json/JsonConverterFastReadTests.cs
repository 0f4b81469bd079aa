using System.Text;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Plugins.Json;
using Xunit;

namespace OrleansConnect.Tests.Converters;

/// <summary>Reading struct envelopes whose schema was seen before (ToConnectData's fast path): every message is read
/// twice by one converter, the first time parsing its schema, the second with the schema known, and both reads must
/// give what Kafka's converter gives, also for the shapes the fast path leaves to the general one.</summary>
public class JsonConverterFastReadTests
{
    private const string RowSchema =
        "{\"type\":\"struct\",\"name\":\"r\",\"optional\":false,\"fields\":[" +
        "{\"field\":\"id\",\"type\":\"int64\",\"optional\":false}," +
        "{\"field\":\"small\",\"type\":\"int8\",\"optional\":true}," +
        "{\"field\":\"n\",\"type\":\"int32\",\"optional\":true,\"default\":7}," +
        "{\"field\":\"d\",\"type\":\"double\",\"optional\":true}," +
        "{\"field\":\"f\",\"type\":\"float\",\"optional\":true}," +
        "{\"field\":\"s\",\"type\":\"string\",\"optional\":true}," +
        "{\"field\":\"b\",\"type\":\"boolean\",\"optional\":true}," +
        "{\"field\":\"raw\",\"type\":\"bytes\",\"optional\":true}," +
        "{\"field\":\"ts\",\"type\":\"int64\",\"optional\":true,\"name\":\"org.apache.kafka.connect.data.Timestamp\",\"version\":1}," +
        "{\"field\":\"day\",\"type\":\"int32\",\"optional\":true,\"name\":\"org.apache.kafka.connect.data.Date\",\"version\":1}," +
        "{\"field\":\"inner\",\"type\":\"struct\",\"optional\":true,\"fields\":[{\"field\":\"x\",\"type\":\"int32\",\"optional\":false}]}]}";

    private static JsonConverter Converter(bool replaceNullWithDefault = true)
    {
        var converter = new JsonConverter();
        converter.Configure(new Dictionary<string, string?> { ["replace.null.with.default"] = replaceNullWithDefault ? "true" : "false" }, isKey: false);
        return converter;
    }

    private static Struct ReadTwice(JsonConverter converter, string payload, string schema = RowSchema)
    {
        var message = Encoding.UTF8.GetBytes($"{{\"schema\":{schema},\"payload\":{payload}}}");
        var first = converter.ToConnectData("t", null, message);
        var second = converter.ToConnectData("t", null, message);
        Assert.Equal(first, second);
        Assert.Same(first.Schema, second.Schema);
        return Assert.IsType<Struct>(second.Value);
    }

    private static DataException FailsTwice(JsonConverter converter, string payload)
    {
        var message = Encoding.UTF8.GetBytes($"{{\"schema\":{RowSchema},\"payload\":{payload}}}");
        var first = Assert.Throws<DataException>(() => converter.ToConnectData("t", null, message));
        var second = Assert.Throws<DataException>(() => converter.ToConnectData("t", null, message));
        Assert.Equal(first.Message, second.Message);
        return second;
    }

    [Fact]
    public void Reads_every_handled_type_with_the_schema_known()
    {
        var converter = Converter();
        var value = ReadTwice(converter,
            "{\"id\":9007199254740993,\"small\":-3,\"n\":42,\"d\":0.1,\"f\":1.5,\"s\":\"caf\\u00e9 \\\"q\\\"\",\"b\":true,\"raw\":\"AQID\"," +
            "\"ts\":1700000000123,\"day\":19000,\"inner\":{\"x\":5}}");

        Assert.Equal(9007199254740993L, value.Get("id"));
        Assert.Equal((sbyte)-3, value.Get("small"));
        Assert.Equal(42, value.Get("n"));
        Assert.Equal(0.1, value.Get("d"));
        Assert.Equal(1.5f, value.Get("f"));
        Assert.Equal("café \"q\"", value.Get("s"));
        Assert.Equal(true, value.Get("b"));
        Assert.Equal(new byte[] { 1, 2, 3 }, value.Get("raw"));
        Assert.Equal(new LogicalTime(1700000000123), value.Get("ts"));
        Assert.Equal(new LogicalTime(19000 * LogicalTime.MillisPerDay), value.Get("day"));
        Assert.Equal(5, Assert.IsType<Struct>(value.Get("inner")).Get("x"));
    }

    [Fact]
    public void Members_in_any_order_unknown_members_and_escaped_names_read_as_kafka()
    {
        var value = ReadTwice(Converter(), "{\"unknown\":{\"deep\":[1,2,{\"a\":null}]},\"s\":\"x\",\"\\u0069d\":3,\"b\":false}");

        Assert.Equal(3L, value.Get("id"));
        Assert.Equal("x", value.Get("s"));
        Assert.Equal(false, value.Get("b"));
        Assert.Null(value.GetWithoutDefault("d"));
        Assert.Null(value.Get("inner"));
    }

    [Fact]
    public void Absent_and_null_members_take_the_default_only_when_replace_null_with_default_is_on()
    {
        Assert.Equal(7, ReadTwice(Converter(), "{\"id\":1}").GetWithoutDefault("n"));
        Assert.Equal(7, ReadTwice(Converter(), "{\"id\":1,\"n\":null}").GetWithoutDefault("n"));
        Assert.Null(ReadTwice(Converter(replaceNullWithDefault: false), "{\"id\":1,\"n\":null}").GetWithoutDefault("n"));
    }

    [Fact]
    public void Values_of_another_json_type_are_coerced_as_kafka_does()
    {
        // Kafka reads a string under int32 as 0, truncates a fraction under int64, reads a non-true boolean as false
        // and a number under string as null.
        var value = ReadTwice(Converter(), "{\"id\":2.9,\"n\":\"12\",\"b\":1,\"s\":5,\"small\":300}");

        Assert.Equal(2L, value.Get("id"));
        Assert.Equal(0, value.Get("n"));
        Assert.Equal(false, value.Get("b"));
        Assert.Null(value.GetWithoutDefault("s"));
        Assert.Equal(unchecked((sbyte)300), value.Get("small"));
    }

    [Fact]
    public void A_member_given_twice_reads_as_the_general_path_reads_it()
    {
        var converter = Converter();
        var twice = ReadTwice(converter, "{\"id\":1,\"s\":\"first\",\"s\":\"second\"}");
        var document = System.Text.Json.JsonDocument.Parse("{\"s\":\"first\",\"s\":\"second\"}");
        Assert.Equal(document.RootElement.GetProperty("s").GetString(), twice.Get("s"));
    }

    [Fact]
    public void Bad_values_fail_with_kafkas_messages_with_the_schema_known()
    {
        var converter = Converter();
        ReadTwice(converter, "{\"id\":1}");

        Assert.Equal("Invalid null value for required INT64 field", FailsTwice(converter, "{\"s\":\"no id\"}").Message);
        Assert.Equal("Invalid null value for required INT32 field", FailsTwice(converter, "{\"id\":1,\"inner\":{}}").Message);
        Assert.Equal("Structs should be encoded as JSON objects, but found NUMBER", FailsTwice(converter, "{\"id\":1,\"inner\":3}").Message);
        Assert.Equal("Invalid type for Timestamp, underlying representation should be integral but was NUMBER",
            FailsTwice(converter, "{\"id\":1,\"ts\":1.5}").Message);
        Assert.Equal("Invalid bytes field", FailsTwice(converter, "{\"id\":1,\"raw\":\"not base64!\"}").Message);
        Assert.StartsWith("Converting byte[] to Kafka Connect data failed due to serialization error",
            FailsTwice(converter, "{\"id\":1} trailing").Message);
    }

    [Fact]
    public void Numbers_with_leading_zeros_read_as_kafka()
    {
        Assert.Equal(12L, ReadTwice(Converter(), "{\"id\":0012}").Get("id"));
    }

    [Fact]
    public void Alternating_schemas_each_read_with_their_own()
    {
        var converter = Converter();
        const string other = "{\"type\":\"struct\",\"optional\":false,\"fields\":[{\"field\":\"id\",\"type\":\"string\",\"optional\":false}]}";
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(1L, ReadTwice(converter, "{\"id\":1}").Get("id"));
            var second = ReadTwice(converter, "{\"id\":\"one\"}", other);
            Assert.Equal("one", second.Get("id"));
            Assert.Equal(SchemaType.String, second.Schema.Field("id")!.Schema.Type);
        }
    }

    [Fact]
    public void Envelopes_of_other_shapes_read_as_kafka()
    {
        var converter = Converter();
        // Payload before schema, a null payload, a null schema, a member beside the two.
        var reversed = converter.ToConnectData("t", null, Encoding.UTF8.GetBytes($"{{\"payload\":{{\"id\":4}},\"schema\":{RowSchema}}}"));
        Assert.Equal(4L, Assert.IsType<Struct>(reversed.Value).Get("id"));
        var nullPayload = converter.ToConnectData("t", null, Encoding.UTF8.GetBytes("{\"schema\":{\"type\":\"struct\",\"optional\":true,\"fields\":[]},\"payload\":null}"));
        Assert.Null(nullPayload.Value);
        Assert.NotNull(nullPayload.Schema);
        var schemaless = converter.ToConnectData("t", null, Encoding.UTF8.GetBytes("{\"schema\":null,\"payload\":{\"a\":1}}"));
        Assert.Null(schemaless.Schema);
        Assert.Equal(1L, Assert.IsType<Dictionary<object, object?>>(schemaless.Value)["a"]);
        Assert.Throws<DataException>(() => converter.ToConnectData("t", null, Encoding.UTF8.GetBytes($"{{\"schema\":{RowSchema},\"payload\":{{\"id\":1}},\"x\":1}}")));
        Assert.Throws<DataException>(() => converter.ToConnectData("t", null, Encoding.UTF8.GetBytes($"{{\"schema\":{RowSchema},\"payload\":{{\"id\":1}}}}}}")));
        var spaced = converter.ToConnectData("t", null, Encoding.UTF8.GetBytes($"{{\"schema\":{RowSchema},\"payload\":{{\"id\":5}} \n}}\n"));
        Assert.Equal(5L, Assert.IsType<Struct>(spaced.Value).Get("id"));
    }
}
