using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;
using Xunit;

namespace OrleansConnect.Tests.Data;

public class StructTests
{
    private static readonly Schema Inner = SchemaBuilder.Struct().Name("inner").Field("n", Schema.Int32Schema).Build();

    private static readonly Schema Outer = SchemaBuilder.Struct().Name("outer")
        .Field("a", Schema.Int32Schema)
        .Field("b", Schema.OptionalStringSchema)
        .Field("c", SchemaBuilder.String().DefaultValue("dflt").Build())
        .Field("inner", Inner)
        .Field("list", SchemaBuilder.Array(Schema.Int64Schema).Optional().Build())
        .Field("map", SchemaBuilder.Map(Schema.StringSchema, Schema.BooleanSchema).Optional().Build())
        .Build();

    private static Struct Valid() =>
        new Struct(Outer).Put("a", 1).Put("b", "x").Put("inner", new Struct(Inner).Put("n", 5));

    [Fact]
    public void Put_and_get_values()
    {
        var s = Valid().Put("list", new List<object?> { 1L, 2L }).Put("map", new Dictionary<object, object?> { ["k"] = true });

        Assert.Equal(1, s.GetInt32("a"));
        Assert.Equal("x", s.GetString("b"));
        Assert.Equal(5, s.GetStruct("inner")!.GetInt32("n"));
        Assert.Equal(2, s.GetArray("list")!.Count);
        Assert.Equal(true, s.GetMap("map")!["k"]);
        s.Validate();
    }

    [Fact]
    public void Get_falls_back_to_the_field_default_but_GetWithoutDefault_does_not()
    {
        var s = Valid();

        Assert.Equal("dflt", s.Get("c"));
        Assert.Null(s.GetWithoutDefault("c"));
        Assert.Null(s.GetString("c"));
    }

    [Fact]
    public void Validate_reports_a_missing_required_field()
    {
        var s = new Struct(Outer).Put("b", "x").Put("inner", new Struct(Inner).Put("n", 1));

        var e = Assert.Throws<DataException>(s.Validate);
        Assert.Equal("Invalid value: null used for required field: \"a\", schema type: INT32", e.Message);
    }

    [Fact]
    public void Nested_structs_are_validated_when_put()
    {
        var s = new Struct(Outer).Put("a", 1);

        var e = Assert.Throws<DataException>(() => s.Put("inner", new Struct(Inner)));
        Assert.Equal("Invalid value: null used for required field: \"n\", schema type: INT32", e.Message);
        Assert.Null(s.GetWithoutDefault("inner"));
    }

    [Fact]
    public void Put_rejects_a_value_of_the_wrong_type()
    {
        var e = Assert.Throws<DataException>(() => new Struct(Outer).Put("a", "not an int"));
        Assert.Contains("INT32", e.Message);
        Assert.Contains("System.String", e.Message);
        Assert.Contains("field: \"a\"", e.Message);

        Assert.Throws<DataException>(() => new Struct(Outer).Put("a", 1L));
        Assert.Throws<DataException>(() => new Struct(Outer).Put("list", new List<object?> { 1 }));
        Assert.Throws<DataException>(() => new Struct(Outer).Put("map", new Dictionary<object, object?> { [1] = true }));
        Assert.Throws<DataException>(() => new Struct(Outer).Put("a", null));
    }

    [Fact]
    public void Put_rejects_a_struct_with_another_schema_and_unknown_fields()
    {
        var other = SchemaBuilder.Struct().Name("other").Field("n", Schema.Int32Schema).Build();

        Assert.Throws<DataException>(() => new Struct(Outer).Put("inner", new Struct(other).Put("n", 1)));
        var e = Assert.Throws<DataException>(() => new Struct(Outer).Put("zzz", 1));
        Assert.Equal("zzz is not a valid field name", e.Message);
        Assert.Throws<DataException>(() => new Struct(Outer).GetInt64("a"));
    }

    [Fact]
    public void Struct_needs_a_struct_schema()
    {
        Assert.Throws<DataException>(() => new Struct(Schema.StringSchema));
    }

    [Fact]
    public void Equality_and_text_form()
    {
        var a = Valid().Put("list", new List<object?> { 1L });
        var b = Valid().Put("list", new List<object?> { 1L });

        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, Valid());
        Assert.Equal("Struct{a=1,b=x,inner=Struct{n=5},list=[1]}", a.ToString());
    }

    [Fact]
    public void ValidateValue_messages_follow_kafka()
    {
        var e = Assert.Throws<DataException>(() => Schema.ValidateValue("x", Schema.StringSchema, null));
        Assert.Equal("Invalid value: null used for required field: \"x\", schema type: STRING", e.Message);
        var v = Assert.Throws<DataException>(() => Schema.ValidateValue(Schema.Int8Schema, null));
        Assert.Equal("Invalid value: null used for required value, schema type: INT8", v.Message);
        Schema.ValidateValue(Schema.OptionalInt8Schema, null);
        Schema.ValidateValue(Schema.Int8Schema, (sbyte)1);
        Assert.Throws<DataException>(() => Schema.ValidateValue(Schema.Int8Schema, (byte)1));
    }
}
