using System.Numerics;
using OrleansConnect.Connect.Data;
using Xunit;

namespace OrleansConnect.Tests.Data;

/// <summary>Every Connect value type rendered as Kafka Connect renders it. Kafka's FileStreamSinkTask.put
/// (connect/file/src/main/java/org/apache/kafka/connect/file/FileStreamSinkTask.java) writes
/// <c>outputStream.println(record.value())</c> and StringConverter.fromConnectData
/// (connect/api/src/main/java/org/apache/kafka/connect/storage/StringConverter.java) writes <c>value.toString()</c>:
/// the expected texts are the Java toString of the value Kafka's JsonConverter or the logical types hand over.</summary>
public class JavaValueTextTests
{
    [Fact]
    public void Null_is_null() => Assert.Equal("null", JavaValueText.Format(null));

    [Fact]
    public void Strings_are_as_they_are() => Assert.Equal("a string", JavaValueText.Format("a string"));

    // StringConverterTest.testNonStringToBytes: fromConnectData(TOPIC, Schema.BOOLEAN_SCHEMA, true) is "true"
    // (connect/api/src/test/java/org/apache/kafka/connect/storage/StringConverterTest.java).
    [Fact]
    public void Booleans_are_lower_case()
    {
        Assert.Equal("true", JavaValueText.Format(true));
        Assert.Equal("false", JavaValueText.Format(false));
    }

    // INT8..INT64 are Byte, Short, Integer, Long (ConnectSchema.SCHEMA_TYPE_CLASSES): Integer.toString and friends.
    [Fact]
    public void Integers_are_decimal()
    {
        Assert.Equal("-8", JavaValueText.Format((sbyte)-8));
        Assert.Equal("16", JavaValueText.Format((short)16));
        Assert.Equal("-2147483648", JavaValueText.Format(int.MinValue));
        Assert.Equal("9223372036854775807", JavaValueText.Format(long.MaxValue));
        Assert.Equal("123456789012345678901234567890", JavaValueText.Format(BigInteger.Parse("123456789012345678901234567890")));
    }

    // FLOAT32/FLOAT64 are Float/Double: Double.toString uses plain notation for 1e-3 <= |x| < 1e7, otherwise
    // computerized scientific notation, and always at least one digit after the point.
    [Theory]
    [InlineData(1e10, "1.0E10")]
    [InlineData(1.0, "1.0")]
    [InlineData(-64.0, "-64.0")]
    [InlineData(-1.125, "-1.125")]
    [InlineData(1234567.0, "1234567.0")]
    [InlineData(12345678.0, "1.2345678E7")]
    [InlineData(0.001, "0.001")]
    [InlineData(0.0001, "1.0E-4")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "Infinity")]
    [InlineData(double.NegativeInfinity, "-Infinity")]
    [InlineData(-0.0, "-0.0")]
    [InlineData(double.MaxValue, "1.7976931348623157E308")]
    public void Doubles_are_as_Java_prints_them(double value, string expected) => Assert.Equal(expected, JavaValueText.Format(value));

    [Theory]
    [InlineData(32f, "32.0")]
    [InlineData(12.34f, "12.34")]
    [InlineData(1e10f, "1.0E10")]
    [InlineData(float.NaN, "NaN")]
    [InlineData(float.NegativeInfinity, "-Infinity")]
    public void Floats_are_as_Java_prints_them(float value, string expected) => Assert.Equal(expected, JavaValueText.Format(value));

    // Decimal values are BigDecimal (connect/api/src/main/java/org/apache/kafka/connect/data/Decimal.java):
    // BigDecimal.toString keeps the scale ("1.5600") and turns to E notation when the adjusted exponent is below -6.
    // CastTest.castFieldsWithSchema expects new BigDecimal(42) to print "42"
    // (connect/transforms/src/test/java/org/apache/kafka/connect/transforms/CastTest.java).
    [Theory]
    [InlineData("42", "42")]
    [InlineData("1.5600", "1.5600")]
    [InlineData("-12.34", "-12.34")]
    [InlineData("0.000001", "0.000001")]
    [InlineData("0.00000001", "1E-8")]
    [InlineData("-0.0000001234", "-1.234E-7")]
    public void Decimals_are_as_BigDecimal_prints_them(string text, string expected) =>
        Assert.Equal(expected, JavaValueText.Format(decimal.Parse(text, System.Globalization.CultureInfo.InvariantCulture)));

    // Date, Time and Timestamp values are java.util.Date (Date.java, Time.java, Timestamp.java in
    // connect/api/src/main/java/org/apache/kafka/connect/data/): Date.toString is "EEE MMM dd HH:mm:ss zzz yyyy"
    // in the JVM's zone (UTC in Connect's images), without milliseconds.
    [Fact]
    public void Dates_times_and_timestamps_are_as_java_util_Date_prints_them()
    {
        Assert.Equal("Thu Jan 01 00:00:00 UTC 1970", JavaValueText.Format(Timestamp.ToLogical(Timestamp.Schema(), 0)));
        Assert.Equal("Tue Mar 05 00:00:00 UTC 2024", JavaValueText.Format(Date.ToLogical(Date.Schema(), 19787)));
        Assert.Equal("Thu Jan 01 13:45:07 UTC 1970", JavaValueText.Format(Time.ToLogical(Time.Schema(), 49_507_890)));
        Assert.Equal("Sun Sep 09 01:46:40 UTC 2001", JavaValueText.Format(Timestamp.ToLogical(Timestamp.Schema(), 1_000_000_000_123)));
        Assert.Equal("Sun Sep 09 01:46:40 UTC 2001", JavaValueText.Format(new DateTimeOffset(2001, 9, 9, 3, 46, 40, TimeSpan.FromHours(2))));
    }

    // A schemaless JSON object is a java.util.Map and an array a java.util.List (JsonConverter.convertToConnect,
    // connect/json/src/main/java/org/apache/kafka/connect/json/JsonConverter.java): AbstractMap.toString
    // "{k=v, k2=v2}" and AbstractCollection.toString "[a, b]", elements rendered the same way.
    [Fact]
    public void Maps_and_lists_are_as_Java_collections_print_them()
    {
        Assert.Equal("{i=1, tag=good}", JavaValueText.Format(new Dictionary<string, object?> { ["i"] = 1L, ["tag"] = "good" }));
        Assert.Equal("[p, q]", JavaValueText.Format(new List<object?> { "p", "q" }));
        Assert.Equal("{}", JavaValueText.Format(new Dictionary<string, object?>()));
        Assert.Equal("[]", JavaValueText.Format(new List<object?>()));
        Assert.Equal("{a=[1, 2.5, true, null], b={c=null}}", JavaValueText.Format(new Dictionary<string, object?>
        {
            ["a"] = new List<object?> { 1L, 2.5, true, null },
            ["b"] = new Dictionary<string, object?> { ["c"] = null },
        }));
    }

    [Fact]
    public void A_collection_holding_itself_prints_as_Java_does()
    {
        var list = new List<object?> { "x" };
        list.Add(list);
        Assert.Equal("[x, (this Collection)]", JavaValueText.Format(list));
    }

    // Struct.toString (connect/api/src/main/java/org/apache/kafka/connect/data/Struct.java): "Struct{" then
    // name=value of the set fields joined by "," without a space, then "}".
    [Fact]
    public void Structs_are_as_Struct_toString_prints_them()
    {
        var inner = SchemaBuilder.Struct().Field("d", SchemaBuilder.Float64().Build()).Build();
        var schema = SchemaBuilder.Struct()
            .Field("a", SchemaBuilder.Int32().Build())
            .Field("b", SchemaBuilder.String().Build())
            .Field("unset", SchemaBuilder.String().Optional().Build())
            .Field("m", SchemaBuilder.Map(SchemaBuilder.String().Build(), SchemaBuilder.Bool().Build()).Build())
            .Field("n", inner)
            .Build();
        var value = new Struct(schema).Put("a", 1).Put("b", "x")
            .Put("m", new Dictionary<string, object?> { ["k"] = true })
            .Put("n", new Struct(inner).Put("d", 1e10));
        Assert.Equal("Struct{a=1,b=x,m={k=true},n=Struct{d=1.0E10}}", JavaValueText.Format(value));
        Assert.Equal("Struct{a=1,b=x}", JavaValueText.Format(new Struct(SchemaBuilder.Struct()
            .Field("a", SchemaBuilder.Int32().Build()).Field("b", SchemaBuilder.String().Build()).Build()).Put("a", 1).Put("b", "x")));
        Assert.Equal("[Struct{d=0.5}]", JavaValueText.Format(new List<object?> { new Struct(inner).Put("d", 0.5) }));
    }

    // BYTES values are byte[] or ByteBuffer (ConnectSchema.SCHEMA_TYPE_CLASSES): Java prints an array as its
    // type and identity hash ("[B@1b6d3586") and a heap buffer as HeapByteBuffer.toString
    // ("java.nio.HeapByteBuffer[pos=0 lim=3 cap=3]").
    [Fact]
    public void Bytes_and_byte_buffers_are_as_Java_prints_them()
    {
        var bytes = new byte[] { 1, 2, 3 };
        Assert.Matches("^\\[B@[0-9a-f]+$", JavaValueText.Format(bytes));
        Assert.Equal(JavaValueText.Format(bytes), JavaValueText.Format(bytes));
        Assert.Equal("java.nio.HeapByteBuffer[pos=0 lim=3 cap=3]", JavaValueText.Format(new ArraySegment<byte>(bytes)));
        Assert.Equal("java.nio.HeapByteBuffer[pos=1 lim=3 cap=3]", JavaValueText.Format(new ArraySegment<byte>(bytes, 1, 2)));
        Assert.Equal("java.nio.HeapByteBuffer[pos=0 lim=3 cap=3]", JavaValueText.Format(new ReadOnlyMemory<byte>(bytes)));
        Assert.Equal("java.nio.HeapByteBuffer[pos=0 lim=2 cap=3]", JavaValueText.Format(bytes.AsMemory(0, 2)));
    }

    [Fact]
    public void The_older_entry_points_give_the_same_text()
    {
        var value = new Dictionary<string, object?> { ["x"] = 1e10, ["y"] = false };
        Assert.Equal(JavaValueText.Format(value), Values.ToJavaString(value));
        Assert.Equal("{x=1.0E10, y=false}", Values.ToJavaString(value));
    }
}
