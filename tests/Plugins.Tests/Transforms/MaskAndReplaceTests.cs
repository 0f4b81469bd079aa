using System.Collections;
using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Connect.Source;
using OrleansConnect.Plugins.Transforms;
using Xunit;
using static OrleansConnect.Tests.TestRecords;

namespace OrleansConnect.Tests.Transforms;

public class MaskFieldTests
{
    private static MaskField<SourceRecord>.Value Mask(string fields, string? replacement = null)
    {
        var t = new MaskField<SourceRecord>.Value();
        var props = Props(("fields", fields));
        if (replacement is not null) props["replacement"] = replacement;
        t.Configure(props);
        return t;
    }

    [Fact]
    public void SchemalessMasksByRuntimeTypeAndAddsAbsentFieldsAsNull()
    {
        var value = Map(("b", true), ("i8", (sbyte)5), ("i16", (short)5), ("i32", 5), ("i64", 5L), ("f", 1.5f), ("d", 1.5d),
            ("s", "secret"), ("dec", 1.5m), ("date", Utc(2020, 1, 1)), ("list", new List<object?> { 1 }),
            ("map", Map(("k", 1))), ("nil", null), ("keep", "x"));
        var masked = (IDictionary)Mask("b,i8,i16,i32,i64,f,d,s,dec,date,list,map,nil,absent").Apply(Value(null, value))!.Value!;
        Assert.Equal(false, masked["b"]);
        Assert.Equal((sbyte)0, masked["i8"]);
        Assert.Equal((short)0, masked["i16"]);
        Assert.Equal(0, masked["i32"]);
        Assert.Equal(0L, masked["i64"]);
        Assert.Equal(0f, masked["f"]);
        Assert.Equal(0d, masked["d"]);
        Assert.Equal("", masked["s"]);
        Assert.Equal(0m, masked["dec"]);
        Assert.Equal(LogicalTime.Epoch, masked["date"]);
        Assert.Empty((IList)masked["list"]!);
        Assert.Empty((IDictionary)masked["map"]!);
        Assert.Null(masked["nil"]);
        Assert.True(masked.Contains("absent"));
        Assert.Null(masked["absent"]);
        Assert.Equal("x", masked["keep"]);
    }

    [Fact]
    public void BytesCannotBeMasked()
    {
        var e = Assert.Throws<DataException>(() => Mask("b").Apply(Value(null, Map(("b", new byte[] { 1 })))));
        Assert.StartsWith("Cannot mask value of type", e.Message);
    }

    [Fact]
    public void ReplacementIsConvertedToTheFieldType()
    {
        var schema = SchemaBuilder.Struct()
            .Field("i64", Schema.Int64Schema).Field("i8", Schema.Int8Schema).Field("f", Schema.Float64Schema)
            .Field("s", Schema.StringSchema).Field("dec", ConnectDecimal.Schema(0)).Field("other", Schema.StringSchema)
            .Build();
        var value = new Struct(schema).Put("i64", 99L).Put("i8", (sbyte)1).Put("f", 2.0).Put("s", "secret").Put("dec", 5m).Put("other", "o");
        var masked = (Struct)Mask("i64,i8,f,s", "12.7").Apply(Value(schema, value))!.Value!;
        Assert.Equal(12L, masked.Get("i64"));
        Assert.Equal((sbyte)12, masked.Get("i8"));
        Assert.Equal(12.7, masked.Get("f"));
        Assert.Equal("12.7", masked.Get("s"));
        Assert.Equal("o", masked.Get("other"));

        var dec = (Struct)Mask("dec", "123.0").Apply(Value(schema, value))!.Value!;
        Assert.Equal(1, ((decimal)dec.Get("dec")!).Scale);
        Assert.Equal(123.0m, dec.Get("dec"));
    }

    [Fact]
    public void ReplacementFailures()
    {
        Assert.Throws<DataException>(() => Mask("i", "foo").Apply(Value(null, Map(("i", 5)))));
        var e = Assert.Throws<DataException>(() => Mask("b", "x").Apply(Value(null, Map(("b", true)))));
        Assert.StartsWith("Cannot mask value of type", e.Message);
        Assert.Throws<DataException>(() => Mask("d", "x").Apply(Value(null, Map(("d", Utc(2020, 1, 1))))));
    }

    [Fact]
    public void NullValueIsADataErrorAndSchemaIsUnchanged()
    {
        var e = Assert.Throws<DataException>(() => Mask("a").Apply(Value(null, null)));
        Assert.Equal("Only Map objects supported in absence of schema for [mask fields], found: null", e.Message);
        var schema = SchemaBuilder.Struct().Name("n").Field("a", Schema.OptionalStringSchema).Build();
        var result = Mask("a").Apply(Value(schema, new Struct(schema)))!;
        Assert.Same(schema, result.ValueSchema);
        Assert.Null(((Struct)result.Value!).Get("a"));
    }

    [Fact]
    public void ConfigErrors()
    {
        Assert.Throws<ConfigException>(() => Mask(""));
        var e = Assert.Throws<ConfigException>(() => Mask("a", ""));
        Assert.Contains("String must be non-empty", e.Message);
    }
}

public class ReplaceFieldTests
{
    private static ReplaceField<SourceRecord>.Value Replace(params (string, string?)[] props)
    {
        var t = new ReplaceField<SourceRecord>.Value();
        t.Configure(Props(props));
        return t;
    }

    [Fact]
    public void SchemalessFiltersOnOriginalNamesThenRenames()
    {
        var value = Map(("dont", "whatever"), ("abc", 42), ("foo", true), ("etc", "etc"));
        var result = (IDictionary)Replace(("exclude", "dont"), ("renames", "abc:xyz,foo:bar")).Apply(Value(null, value))!.Value!;
        Assert.Equal(3, result.Count);
        Assert.Equal(42, result["xyz"]);
        Assert.Equal(true, result["bar"]);
        Assert.Equal("etc", result["etc"]);

        var included = (IDictionary)Replace(("include", "abc,foo"), ("exclude", "foo"), ("renames", "abc:xyz")).Apply(Value(null, value))!.Value!;
        Assert.Equal(["xyz"], included.Keys.Cast<object>());
        // Listing the new name in include selects nothing.
        Assert.Empty((IDictionary)Replace(("include", "xyz"), ("renames", "abc:xyz")).Apply(Value(null, value))!.Value!);
    }

    [Fact]
    public void SchemaModeKeepsOrderAndMetadata()
    {
        var schema = SchemaBuilder.Struct().Name("n").Version(2)
            .Field("dont", Schema.StringSchema).Field("abc", Schema.Int32Schema).Field("foo", SchemaBuilder.Bool().Optional().DefaultValue(true).Build())
            .Field("etc", Schema.StringSchema).Build();
        var value = new Struct(schema).Put("dont", "w").Put("abc", 42).Put("etc", "e");
        var result = Replace(("exclude", "dont"), ("renames", "abc:xyz,foo:bar")).Apply(Value(schema, value))!;
        Assert.Equal("n", result.ValueSchema!.Name);
        Assert.Equal(2, result.ValueSchema.Version);
        Assert.Equal(["xyz", "bar", "etc"], result.ValueSchema.Fields.Select(f => f.Name));
        var s = (Struct)result.Value!;
        Assert.Equal(42, s.Get("xyz"));
        Assert.Equal(true, s.Get("bar"));

        var kept = (Struct)Replace(("renames", "abc:xyz"), ("replace.null.with.default", "false")).Apply(Value(schema, value))!.Value!;
        Assert.Null(kept.GetWithoutDefault("foo"));
    }

    [Fact]
    public void RenamingOntoAnExistingFieldIsADataError()
    {
        var schema = SchemaBuilder.Struct().Field("a", Schema.Int32Schema).Field("b", Schema.Int32Schema).Build();
        Assert.ThrowsAny<DataException>(() => Replace(("renames", "a:b")).Apply(Value(schema, new Struct(schema).Put("a", 1).Put("b", 2))));
    }

    [Fact]
    public void DeprecatedAliasesAreAcceptedAndTheNewKeyWins()
    {
        var value = Map(("a", 1), ("b", 2), ("c", 3));
        var blacklisted = (IDictionary)Replace(("blacklist", "a")).Apply(Value(null, value))!.Value!;
        Assert.False(blacklisted.Contains("a"));
        var whitelisted = (IDictionary)Replace(("whitelist", "a")).Apply(Value(null, value))!.Value!;
        Assert.Equal(["a"], whitelisted.Keys.Cast<object>());
        var both = (IDictionary)Replace(("exclude", "b"), ("blacklist", "a")).Apply(Value(null, value))!.Value!;
        Assert.True(both.Contains("a"));
        Assert.False(both.Contains("b"));
    }

    [Theory]
    [InlineData("a")]
    [InlineData("a:b:c")]
    [InlineData("a:")]
    public void BadRenamesAreConfigErrors(string renames)
    {
        var e = Assert.Throws<ConfigException>(() => Replace(("renames", renames)));
        Assert.Contains("Invalid rename mapping: " + renames, e.Message);
    }

    [Fact]
    public void NullValuePassesThrough()
    {
        var record = Value(null, null);
        Assert.Same(record, Replace(("exclude", "a")).Apply(record));
    }
}
