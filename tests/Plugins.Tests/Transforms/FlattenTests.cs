using System.Collections;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Connect.Source;
using OrleansConnect.Plugins.Transforms;
using Xunit;
using static OrleansConnect.Tests.TestRecords;

namespace OrleansConnect.Tests.Transforms;

public class FlattenTests
{
    private static Flatten<SourceRecord>.Value Flat(string? delimiter = null)
    {
        var t = new Flatten<SourceRecord>.Value();
        t.Configure(delimiter is null ? Props() : Props(("delimiter", delimiter)));
        return t;
    }

    [Fact]
    public void SchemalessFlattensMapsAndLeavesArraysAlone()
    {
        var array = new List<object?> { Map(("in", 1)) };
        var value = Map(("a", Map(("b", 1), ("c", Map(("d", "x"))), ("empty", Map()))), ("n", null), ("arr", array), ("top", true));
        var flat = (IDictionary)Flat().Apply(Value(null, value))!.Value!;
        Assert.Equal(["a.b", "a.c.d", "n", "arr", "top"], flat.Keys.Cast<object>());
        Assert.Equal(1, flat["a.b"]);
        Assert.Equal("x", flat["a.c.d"]);
        Assert.Null(flat["n"]);
        Assert.Same(array, flat["arr"]);
    }

    [Fact]
    public void DelimiterIsTrimmed()
    {
        var flat = (IDictionary)Flat(" ").Apply(Value(null, Map(("a", Map(("b", 1))))))!.Value!;
        Assert.Equal(1, flat["ab"]);
        var underscored = (IDictionary)Flat("_").Apply(Value(null, Map(("a", Map(("b", 1))))))!.Value!;
        Assert.Equal(1, underscored["a_b"]);
    }

    [Fact]
    public void SchemaModeFlattensStructsWithOptionalityAndDefaults()
    {
        var inner = SchemaBuilder.Struct().Optional()
            .Field("x", SchemaBuilder.Int32().Name("leaf").Build())
            .Field("y", SchemaBuilder.String().Optional().DefaultValue("dy").Build())
            .Build();
        var schema = SchemaBuilder.Struct().Name("top").Version(5)
            .Field("a", Schema.Int64Schema)
            .Field("inner", inner)
            .Field("list", SchemaBuilder.Array(Schema.Int32Schema).Build())
            .Build();
        var value = new Struct(schema).Put("a", 1L).Put("inner", new Struct(inner).Put("x", 2)).Put("list", new List<object?> { 3 });
        var result = Flat().Apply(Value(schema, value))!;
        var updated = result.ValueSchema!;
        Assert.Equal("top", updated.Name);
        Assert.Equal(5, updated.Version);
        Assert.Equal(["a", "inner.x", "inner.y", "list"], updated.Fields.Select(f => f.Name));
        var x = updated.Field("inner.x")!.Schema;
        Assert.True(x.IsOptional); // the parent struct is optional
        Assert.Equal("leaf", x.Name);
        Assert.Equal("dy", updated.Field("inner.y")!.Schema.DefaultValue);
        var flat = (Struct)result.Value!;
        Assert.Equal(2, flat.Get("inner.x"));
        Assert.Equal("dy", flat.Get("inner.y"));

        var nullInner = (Struct)Flat().Apply(Value(schema, new Struct(schema).Put("a", 1L).Put("list", new List<object?>())))!.Value!;
        Assert.Null(nullInner.Get("inner.x"));
    }

    [Fact]
    public void SchemaErrors()
    {
        var withMap = SchemaBuilder.Struct().Field("m", SchemaBuilder.Map(Schema.StringSchema, Schema.StringSchema).Build()).Build();
        Assert.Throws<DataException>(() => Flat().Apply(Value(withMap, new Struct(withMap).Put("m", Map()))));

        var inner = SchemaBuilder.Struct().Field("b", Schema.Int32Schema).Build();
        var clash = SchemaBuilder.Struct().Field("a.b", Schema.Int32Schema).Field("a", inner).Build();
        Assert.ThrowsAny<DataException>(() => Flat().Apply(Value(clash, new Struct(clash).Put("a.b", 1).Put("a", new Struct(inner).Put("b", 2)))));

        Assert.Throws<DataException>(() => Flat().Apply(Value(null, "text")));
    }

    [Fact]
    public void NullValueIsUnchanged()
    {
        var schema = SchemaBuilder.Struct().Optional().Field("a", SchemaBuilder.Struct().Field("b", Schema.Int32Schema).Build()).Build();
        var record = Value(schema, null);
        Assert.Same(record, Flat().Apply(record));
    }
}
