using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Connect.Header;
using Xunit;

namespace OrleansConnect.Tests.Data;

public class ConnectHeadersTests
{
    [Fact]
    public void Keeps_insertion_order_and_duplicates()
    {
        var headers = new ConnectHeaders().AddString("a", "1").AddInt32("b", 2).AddString("a", "3");

        Assert.Equal(3, headers.Count);
        Assert.False(headers.IsEmpty);
        Assert.Equal(["a", "b", "a"], headers.Select(h => h.Key));
        Assert.Equal("3", headers.LastWithName("a")!.Value);
        Assert.Equal(["1", "3"], headers.AllWithName("a").Select(h => h.Value));
        Assert.Null(headers.LastWithName("zzz"));
    }

    [Fact]
    public void Typed_adders_use_the_matching_schemas()
    {
        var headers = new ConnectHeaders()
            .AddString("s", null).AddBoolean("b", true).AddInt64("l", 5L).AddBytes("y", [1])
            .AddDecimal("d", 1.25m).AddTimestamp("t", LogicalTime.Epoch);

        Assert.Equal(Schema.OptionalStringSchema, headers.LastWithName("s")!.Schema);
        Assert.Equal(Schema.BooleanSchema, headers.LastWithName("b")!.Schema);
        Assert.Equal(Schema.Int64Schema, headers.LastWithName("l")!.Schema);
        Assert.Equal(Schema.BytesSchema, headers.LastWithName("y")!.Schema);
        Assert.Equal(ConnectDecimal.Schema(2), headers.LastWithName("d")!.Schema);
        Assert.Equal(Timestamp.Schema(), headers.LastWithName("t")!.Schema);
    }

    [Fact]
    public void Values_must_fit_their_schema()
    {
        var headers = new ConnectHeaders();

        var e = Assert.Throws<DataException>(() => headers.Add("k", null, Schema.StringSchema));
        Assert.Equal("A null value requires an optional schema but was Schema{STRING}", e.Message);
        Assert.Throws<DataException>(() => headers.Add("k", "text", Schema.Int32Schema));
        headers.Add("k", new SchemaAndValue(null, 42));
        Assert.Equal(42, headers.LastWithName("k")!.Value);
    }

    [Fact]
    public void Remove_retain_clear_and_duplicate()
    {
        var headers = new ConnectHeaders().AddString("a", "1").AddString("b", "2").AddString("a", "3");
        var copy = headers.Duplicate();

        headers.Remove("a");
        Assert.Equal(["b"], headers.Select(h => h.Key));
        Assert.Equal(3, copy.Count);

        copy.RetainLatest();
        Assert.Equal(["b", "a"], copy.Select(h => h.Key));
        Assert.Equal("3", copy.LastWithName("a")!.Value);

        copy.Retain(h => h.Key == "a");
        Assert.Equal(["a"], copy.Select(h => h.Key));

        Assert.True(copy.Clear().IsEmpty);
    }

    [Fact]
    public void Header_rename_with_and_equality()
    {
        var header = new Header("k", Schema.BytesSchema, new byte[] { 1, 2 });

        Assert.Equal(new Header("k", Schema.BytesSchema, new byte[] { 1, 2 }), header);
        Assert.Equal("n", header.Rename("n").Key);
        Assert.Equal(header.Value, header.Rename("n").Value);
        var changed = header.With(Schema.StringSchema, "v");
        Assert.Equal("k", changed.Key);
        Assert.Equal("v", changed.Value);
        Assert.Equal(new ConnectHeaders().Add(header), new ConnectHeaders().Add(header.Rename("k")));
    }
}
