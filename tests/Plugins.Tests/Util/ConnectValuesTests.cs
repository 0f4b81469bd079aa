using System.Collections;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Plugins.Transforms.Util;
using Xunit;
using static OrleansConnect.Tests.TestRecords;

namespace OrleansConnect.Tests.Util;

public class ConnectValuesTests
{
    [Fact]
    public void MixedArrayThatCannotBeAlignedIsAString()
    {
        // The element schema comes back as int8 after the string and aligning "a" to int8 fails.
        Assert.Equal(new SchemaAndValue(Schema.StringSchema, "[1,\"a\",2]"), ConnectValues.ParseString("[1,\"a\",2]"));
    }

    [Fact]
    public void QuotedTemporalTextInsideArraysIsTemporal()
    {
        var parsed = ConnectValues.ParseString("[\"2024-01-15\"]");
        Assert.Equal(SchemaBuilder.Array(Date.Schema()).Build(), parsed.Schema);
        Assert.Equal(Utc(2024, 1, 15), ((IList)parsed.Value!)[0]);
    }

    [Fact]
    public void NullElementsAndValues()
    {
        var allNull = ConnectValues.ParseString("[null,null]");
        Assert.Null(allNull.Schema);
        Assert.Equal(new List<object?> { null, null }, allNull.Value);

        var nullValues = ConnectValues.ParseString("{\"a\":null}");
        Assert.Null(nullValues.Schema);
        Assert.True(((IDictionary)nullValues.Value!).Contains("a"));

        Assert.Equal(new SchemaAndValue(Schema.StringSchema, "{null:1}"), ConnectValues.ParseString("{null:1}"));
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
