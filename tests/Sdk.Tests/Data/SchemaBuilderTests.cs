using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;
using Xunit;

namespace OrleansConnect.Tests.Data;

public class SchemaBuilderTests
{
    public static TheoryData<Func<SchemaBuilder>, SchemaType> Primitives => new()
    {
        { SchemaBuilder.Int8, SchemaType.Int8 },
        { SchemaBuilder.Int16, SchemaType.Int16 },
        { SchemaBuilder.Int32, SchemaType.Int32 },
        { SchemaBuilder.Int64, SchemaType.Int64 },
        { SchemaBuilder.Float32, SchemaType.Float32 },
        { SchemaBuilder.Float64, SchemaType.Float64 },
        { SchemaBuilder.Bool, SchemaType.Boolean },
        { SchemaBuilder.String, SchemaType.String },
        { SchemaBuilder.Bytes, SchemaType.Bytes },
        { SchemaBuilder.Struct, SchemaType.Struct },
    };

    [Theory]
    [MemberData(nameof(Primitives))]
    public void Factories_build_required_schemas_of_their_type(Func<SchemaBuilder> factory, SchemaType type)
    {
        var schema = factory().Build();

        Assert.Equal(type, schema.Type);
        Assert.False(schema.IsOptional);
        Assert.Null(schema.DefaultValue);
        Assert.Null(schema.Name);
        Assert.Null(schema.Version);
        Assert.Null(schema.Doc);
        Assert.Null(schema.Parameters);
        Assert.Equal(type, SchemaBuilder.Type(type).Build().Type);
    }

    [Fact]
    public void Predefined_schemas_equal_built_ones()
    {
        Assert.Equal(Schema.Int32Schema, SchemaBuilder.Int32().Build());
        Assert.Equal(Schema.OptionalStringSchema, SchemaBuilder.String().Optional().Build());
        Assert.NotEqual(Schema.StringSchema, Schema.OptionalStringSchema);
        Assert.True(Schema.OptionalBytesSchema.IsOptional);
        Assert.Equal(SchemaType.Float64, Schema.OptionalFloat64Schema.Type);
    }

    [Fact]
    public void Every_member_is_kept()
    {
        var schema = SchemaBuilder.Int32()
            .Optional()
            .DefaultValue(12)
            .Name("my.int")
            .Version(3)
            .Doc("documented")
            .Parameter("a", "1")
            .Parameters(new Dictionary<string, string> { ["b"] = "2" })
            .Build();

        Assert.True(schema.IsOptional);
        Assert.Equal(12, schema.DefaultValue);
        Assert.Equal("my.int", schema.Name);
        Assert.Equal(3, schema.Version);
        Assert.Equal("documented", schema.Doc);
        Assert.Equal(["a", "b"], schema.Parameters!.Keys);
        Assert.Equal("2", schema.Parameters["b"]);
        Assert.Equal("Schema{my.int:INT32}", schema.ToString());
        Assert.Equal("Schema{STRING}", Schema.StringSchema.ToString());
    }

    [Fact]
    public void Builder_exposes_what_was_set()
    {
        var builder = SchemaBuilder.Struct().Name("n").Version(2).Doc("d").Parameter("p", "v").Optional()
            .Field("f", Schema.Int8Schema);

        Assert.Equal(SchemaType.Struct, builder.SchemaType);
        Assert.True(builder.IsOptional);
        Assert.Equal("n", builder.SchemaName);
        Assert.Equal(2, builder.SchemaVersion);
        Assert.Equal("d", builder.SchemaDoc);
        Assert.Equal("v", builder.SchemaParameters!["p"]);
        Assert.Equal("f", Assert.Single(builder.Fields).Name);
        Assert.Null(builder.Default);
    }

    [Fact]
    public void Array_and_map_keep_their_element_schemas()
    {
        var array = SchemaBuilder.Array(Schema.StringSchema).Build();
        var map = SchemaBuilder.Map(Schema.StringSchema, Schema.OptionalInt64Schema).Optional().Build();

        Assert.Equal(SchemaType.Array, array.Type);
        Assert.Equal(Schema.StringSchema, array.ValueSchema);
        Assert.Throws<DataException>(() => array.KeySchema);
        Assert.Equal(Schema.StringSchema, map.KeySchema);
        Assert.Equal(Schema.OptionalInt64Schema, map.ValueSchema);
        Assert.Throws<DataException>(() => Schema.Int32Schema.ValueSchema);
        Assert.Throws<SchemaBuilderException>(() => SchemaBuilder.Array(null!));
        Assert.Throws<SchemaBuilderException>(() => SchemaBuilder.Map(null!, Schema.StringSchema));
    }

    [Fact]
    public void Struct_fields_are_indexed_in_order_and_found_by_name()
    {
        var schema = SchemaBuilder.Struct().Field("a", Schema.Int32Schema).Field("b", Schema.OptionalStringSchema).Build();

        Assert.Equal(["a", "b"], schema.Fields.Select(f => f.Name));
        Assert.Equal(1, schema.Field("b")!.Index);
        Assert.Equal(Schema.OptionalStringSchema, schema.Field("b")!.Schema);
        Assert.Null(schema.Field("missing"));
        Assert.Throws<DataException>(() => Schema.Int32Schema.Fields);
        Assert.Throws<DataException>(() => Schema.Int32Schema.Field("a"));
    }

    [Fact]
    public void Duplicate_field_is_rejected()
    {
        var builder = SchemaBuilder.Struct().Field("a", Schema.Int32Schema);

        var e = Assert.Throws<SchemaBuilderException>(() => builder.Field("a", Schema.StringSchema));
        Assert.Contains("duplication a", e.Message);
    }

    [Fact]
    public void Fields_on_non_struct_and_empty_field_names_are_rejected()
    {
        Assert.Throws<SchemaBuilderException>(() => SchemaBuilder.Int32().Field("a", Schema.Int32Schema));
        Assert.Throws<SchemaBuilderException>(() => SchemaBuilder.Struct().Field("", Schema.Int32Schema));
        Assert.Throws<SchemaBuilderException>(() => SchemaBuilder.Struct().Field("a", (Schema)null!));
    }

    [Fact]
    public void Setting_a_member_twice_to_another_value_throws()
    {
        Assert.Throws<SchemaBuilderException>(() => SchemaBuilder.Int32().Name("a").Name("b"));
        Assert.Throws<SchemaBuilderException>(() => SchemaBuilder.Int32().Version(1).Version(2));
        Assert.Throws<SchemaBuilderException>(() => SchemaBuilder.Int32().Doc("a").Doc("b"));
        Assert.Throws<SchemaBuilderException>(() => SchemaBuilder.Int32().Optional().Required());
        Assert.Throws<SchemaBuilderException>(() => SchemaBuilder.Int32().DefaultValue(1).DefaultValue(2));
        var e = Assert.Throws<SchemaBuilderException>(() => SchemaBuilder.Int32().Name("a").Name("b"));
        Assert.Equal("Invalid SchemaBuilder call: name has already been set.", e.Message);
    }

    [Fact]
    public void Setting_a_member_twice_to_the_same_value_is_allowed()
    {
        var schema = SchemaBuilder.Int32().Name("a").Name("a").Optional().Optional().Build();

        Assert.Equal("a", schema.Name);
        Assert.True(schema.IsOptional);
    }

    [Fact]
    public void Default_must_match_the_schema()
    {
        var e = Assert.Throws<SchemaBuilderException>(() => SchemaBuilder.Int32().DefaultValue("x"));
        Assert.Equal("Invalid default value", e.Message);
        Assert.IsType<DataException>(e.InnerException, exactMatch: false);
        Assert.Throws<SchemaBuilderException>(() => SchemaBuilder.Int32().DefaultValue(1L));
        Assert.Equal(new byte[] { 1, 2 }, (byte[])SchemaBuilder.Bytes().DefaultValue(new byte[] { 1, 2 }).Build().DefaultValue!);
    }

    [Fact]
    public void Equality_is_by_value_and_deep()
    {
        Schema Make(string fieldName) => SchemaBuilder.Struct().Name("s")
            .Field("x", SchemaBuilder.Array(SchemaBuilder.Bytes().DefaultValue(new byte[] { 1 }).Build()).Build())
            .Field(fieldName, Schema.Int32Schema).Build();

        Assert.Equal(Make("y"), Make("y"));
        Assert.Equal(Make("y").GetHashCode(), Make("y").GetHashCode());
        Assert.NotEqual(Make("y"), Make("z"));
        Assert.NotEqual(SchemaBuilder.Int32().Parameter("a", "1").Build(), SchemaBuilder.Int32().Parameter("a", "2").Build());
    }

    [Fact]
    public void From_copies_a_schema_and_lets_copied_members_be_changed()
    {
        var original = SchemaBuilder.Struct().Name("orig").Version(1).Doc("d").Parameter("p", "v")
            .Field("a", Schema.Int32Schema).Build();

        Assert.Equal(original, SchemaBuilder.From(original).Build());

        var renamed = SchemaBuilder.From(original).Name("renamed").Optional().Field("b", Schema.StringSchema).Build();
        Assert.Equal("renamed", renamed.Name);
        Assert.True(renamed.IsOptional);
        Assert.Equal(["a", "b"], renamed.Fields.Select(f => f.Name));
        Assert.Equal("v", renamed.Parameters!["p"]);
    }

    [Fact]
    public void SchemaType_names_and_parsing()
    {
        Assert.Equal("INT8", SchemaType.Int8.ToConnectName());
        Assert.Equal("FLOAT64", SchemaType.Float64.ToConnectName());
        Assert.Equal("STRUCT", SchemaType.Struct.ToConnectName());
        Assert.Equal(SchemaType.Map, SchemaTypes.Parse("MAP"));
        Assert.Equal(SchemaType.Boolean, SchemaTypes.Parse("boolean"));
        Assert.Throws<DataException>(() => SchemaTypes.Parse("nope"));
    }
}
