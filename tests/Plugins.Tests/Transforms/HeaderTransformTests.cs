using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Header;
using OrleansConnect.Connect.Source;
using OrleansConnect.Plugins.Transforms;
using Xunit;
using static OrleansConnect.Tests.TestRecords;

namespace OrleansConnect.Tests.Transforms;

public class DropHeadersTests
{
    [Fact]
    public void RemovesAllListedHeadersAndKeepsTheOrderOfOthers()
    {
        var drop = new DropHeaders<SourceRecord>();
        drop.Configure(Props(("headers", "a, c")));
        var headers = new ConnectHeaders().AddString("a", "1").AddString("b", "2").AddString("a", "3").AddString("C", "4").AddString("d", "5");
        var result = drop.Apply(Value(Schema.StringSchema, "v", headers))!;
        Assert.Equal(["b", "C", "d"], result.Headers.Select(h => h.Key));
        Assert.Equal("v", result.Value);
        Assert.Equal(5, headers.Count); // the input record is not modified
    }

    [Fact]
    public void EmptyListIsAConfigError()
    {
        var drop = new DropHeaders<SourceRecord>();
        Assert.Equal("Empty list", Assert.Throws<ConfigException>(() => drop.Configure(Props(("headers", "")))).Message);
        Assert.Throws<ConfigException>(() => drop.Configure(Props()));
    }
}

public class InsertHeaderTests
{
    private static Header Inserted(string literal)
    {
        var insert = new InsertHeader<SourceRecord>();
        insert.Configure(Props(("header", "h"), ("value.literal", literal)));
        var result = insert.Apply(Value(null, null, new ConnectHeaders().AddString("h", "existing")))!;
        Assert.Equal(2, result.Headers.Count);
        return result.Headers.Last();
    }

    [Theory]
    [InlineData("1", SchemaType.Int8, (sbyte)1)]
    [InlineData("1000", SchemaType.Int16, (short)1000)]
    [InlineData("100000", SchemaType.Int32, 100000)]
    [InlineData("10000000000", SchemaType.Int64, 10000000000L)]
    [InlineData("1e3", SchemaType.Int16, (short)1000)]
    [InlineData("-5", SchemaType.Int8, (sbyte)-5)]
    [InlineData(" 42 ", SchemaType.Int8, (sbyte)42)]
    [InlineData("01", SchemaType.Int8, (sbyte)1)]
    [InlineData("3.5", SchemaType.Float32, 3.5f)]
    [InlineData("3.14159265358979", SchemaType.Float32, 3.1415927f)]
    [InlineData("true", SchemaType.Boolean, true)]
    [InlineData("\"quoted\"", SchemaType.String, "\"quoted\"")]
    [InlineData("hello world", SchemaType.String, "hello world")]
    [InlineData("", SchemaType.String, "")]
    public void LiteralIsTypedByValueInference(string literal, SchemaType type, object expected)
    {
        var header = Inserted(literal);
        Assert.Equal("h", header.Key);
        Assert.Equal(type, header.Schema!.Type);
        Assert.Equal(expected, header.Value);
    }

    [Fact]
    public void LargeIntegersDatesArraysMapsAndNull()
    {
        var big = Inserted("99999999999999999999");
        Assert.Equal(ConnectDecimal.Schema(0), big.Schema);
        Assert.Equal(99999999999999999999m, big.Value);

        var date = Inserted("2024-01-15");
        Assert.Equal(Date.LogicalName, date.Schema!.Name);
        Assert.Equal(Utc(2024, 1, 15), date.Value);
        Assert.Equal(Time.LogicalName, Inserted("12:30:00.000Z").Schema!.Name);
        var ts = Inserted("2024-01-15T10:00:00.000Z");
        Assert.Equal(Timestamp.LogicalName, ts.Schema!.Name);
        Assert.Equal(Utc(2024, 1, 15, 10), ts.Value);

        var array = Inserted("[1,2]");
        Assert.Equal(SchemaBuilder.Array(Schema.Int8Schema).Build(), array.Schema);
        Assert.Equal(new List<object?> { (sbyte)1, (sbyte)2 }, array.Value);

        // Kafka's Values.parseString: elements of no common type give an ARRAY schema without element schema.
        var mixed = Inserted("[1, \"a\"]");
        Assert.Equal(SchemaBuilder.ArrayOfNull().Build(), mixed.Schema);
        Assert.Equal(new List<object?> { (sbyte)1, "a" }, mixed.Value);

        var map = Inserted("{\"a\":1}");
        Assert.Equal(SchemaBuilder.Map(Schema.StringSchema, Schema.Int8Schema).Build(), map.Schema);
        Assert.Equal((sbyte)1, ((System.Collections.IDictionary)map.Value!)["a"]);

        var nullHeader = Inserted("null");
        Assert.Null(nullHeader.Schema);
        Assert.Null(nullHeader.Value);
    }

    [Fact]
    public void HeaderAndLiteralAreRequired()
    {
        var insert = new InsertHeader<SourceRecord>();
        Assert.Throws<ConfigException>(() => insert.Configure(Props(("header", "h"))));
        Assert.Throws<ConfigException>(() => insert.Configure(Props(("value.literal", "x"))));
        Assert.Throws<ConfigException>(() => insert.Configure(Props(("header", null), ("value.literal", "x"))));
    }
}

public class HeaderFromTests
{
    private static readonly Schema ValueSchema = SchemaBuilder.Struct().Name("rec").Version(4)
        .Field("a", Schema.StringSchema)
        .Field("b", SchemaBuilder.Int32().Optional().DefaultValue(7).Build())
        .Field("c", SchemaBuilder.Struct().Field("x", Schema.Int32Schema).Build())
        .Build();

    private static HeaderFrom<SourceRecord>.Value Configure(string fields, string headers, string operation, bool replaceNull = true)
    {
        var t = new HeaderFrom<SourceRecord>.Value();
        t.Configure(Props(("fields", fields), ("headers", headers), ("operation", operation),
            ("replace.null.with.default", replaceNull ? "true" : "false")));
        return t;
    }

    private static Struct Sample() =>
        new Struct(ValueSchema).Put("a", "A").Put("c", new Struct(ValueSchema.Field("c")!.Schema).Put("x", 1));

    [Fact]
    public void CopyAppendsHeadersWithFieldSchemasAndKeepsTheValue()
    {
        var value = Sample();
        var record = Value(ValueSchema, value, new ConnectHeaders().AddString("h1", "old"));
        var result = Configure("a,b,c,a", "h1,h2,h3,h4", "copy").Apply(record)!;
        Assert.Same(value, result.Value);
        var headers = result.Headers.ToList();
        Assert.Equal(["h1", "h1", "h2", "h3", "h4"], headers.Select(h => h.Key));
        Assert.Equal("old", headers[0].Value);
        Assert.Equal("A", headers[1].Value);
        Assert.Equal(Schema.StringSchema, headers[1].Schema);
        Assert.Equal(7, headers[2].Value); // the default replaces the null
        Assert.Equal(ValueSchema.Field("c")!.Schema, headers[3].Schema);
        Assert.Equal("A", headers[4].Value);
    }

    [Fact]
    public void MoveRemovesTheFieldsAndKeepsStructMetadata()
    {
        var result = Configure("a", "h", "move").Apply(Value(ValueSchema, Sample()))!;
        var schema = result.ValueSchema!;
        Assert.Equal("rec", schema.Name);
        Assert.Equal(4, schema.Version);
        Assert.Null(schema.Field("a"));
        Assert.Equal(["b", "c"], schema.Fields.Select(f => f.Name));
        Assert.Equal("A", result.Headers.Single().Value);
    }

    [Fact]
    public void SchemalessMoveAndCopy()
    {
        var value = Map(("a", 1L), ("b", "x"));
        var moved = Configure("a,missing", "h1,h2", "move").Apply(Value(null, value))!;
        var map = (System.Collections.IDictionary)moved.Value!;
        Assert.False(map.Contains("a"));
        Assert.Equal("x", map["b"]);
        Assert.Equal(1L, moved.Headers.First().Value);
        Assert.Null(moved.Headers.First().Schema);
        Assert.Null(moved.Headers.Last().Value);

        var copied = Configure("a", "h", "copy").Apply(Value(null, value))!;
        Assert.True(((System.Collections.IDictionary)copied.Value!).Contains("a"));
    }

    [Fact]
    public void ConfigErrors()
    {
        var e = Assert.Throws<ConfigException>(() => Configure("a,b", "h", "copy"));
        Assert.Equal("'fields' config must have the same number of elements as 'headers' config.", e.Message);
        Assert.Throws<ConfigException>(() => Configure("a", "h", "MOVE"));
        Assert.Throws<ConfigException>(() => Configure("", "h", "copy"));
    }

    [Fact]
    public void NullValueAndUnknownFieldAreDataErrors()
    {
        Assert.Throws<Connect.Errors.DataException>(() => Configure("a", "h", "copy").Apply(Value(null, null)));
        Assert.Throws<Connect.Errors.DataException>(() => Configure("a", "h", "copy").Apply(Value(ValueSchema, null)));
        Assert.Throws<Connect.Errors.DataException>(() => Configure("zz", "h", "copy").Apply(Value(ValueSchema, Sample())));
    }
}
