using System.Collections;
using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Connect.Sink;
using OrleansConnect.Connect.Source;
using OrleansConnect.Plugins.Transforms;
using Xunit;
using static OrleansConnect.Tests.TestRecords;

namespace OrleansConnect.Tests.Transforms;

public class ExtractFieldTests
{
    private static ExtractField<SourceRecord>.Value Extract(string field, string? version = null)
    {
        var t = new ExtractField<SourceRecord>.Value();
        var props = Props(("field", field));
        if (version is not null) props["field.syntax.version"] = version;
        t.Configure(props);
        return t;
    }

    [Fact]
    public void SchemalessExtractsAndMissingGivesNull()
    {
        Assert.Equal(42, Extract("magic").Apply(Value(null, Map(("magic", 42))))!.Value);
        Assert.Null(Extract("nope").Apply(Value(null, Map(("magic", 42))))!.Value);
        Assert.Null(Extract("magic").Apply(Value(null, null))!.Value);
        Assert.Throws<DataException>(() => Extract("magic").Apply(Value(null, "text")));
    }

    [Fact]
    public void SchemaModeUsesTheFieldSchema()
    {
        var schema = SchemaBuilder.Struct().Field("magic", Schema.Int32Schema).Build();
        var result = Extract("magic").Apply(Value(schema, new Struct(schema).Put("magic", 42)))!;
        Assert.Equal(Schema.Int32Schema, result.ValueSchema);
        Assert.Equal(42, result.Value);

        var nullStruct = Extract("magic").Apply(Value(schema, null))!;
        Assert.Equal(Schema.Int32Schema, nullStruct.ValueSchema);
        Assert.Null(nullStruct.Value);

        var e = Assert.Throws<DataException>(() => Extract("nope").Apply(Value(schema, new Struct(schema).Put("magic", 1))));
        Assert.Equal("Unknown field: nope", e.Message);
    }

    [Fact]
    public void V1TreatsDotsLiterally()
    {
        Assert.Equal(1, Extract("magic.foo").Apply(Value(null, Map(("magic.foo", 1))))!.Value);
    }

    [Fact]
    public void V2WalksNestedPathsWithBackticks()
    {
        var nested = Map(("a.b", Map(("c", 5))), ("x", Map(("y", Map(("z", "deep"))))), ("flat", 1));
        Assert.Equal(5, Extract("`a.b`.c", "v2").Apply(Value(null, nested))!.Value);
        Assert.Equal("deep", Extract("x.y.z", "V2").Apply(Value(null, nested))!.Value);
        Assert.Null(Extract("x.q.z", "V2").Apply(Value(null, nested))!.Value);
        // An intermediate non-map is an error, not null.
        Assert.Throws<DataException>(() => Extract("flat.z", "V2").Apply(Value(null, nested)));

        var inner = SchemaBuilder.Struct().Field("c", Schema.StringSchema).Build();
        var outer = SchemaBuilder.Struct().Field("a.b", inner).Build();
        var value = new Struct(outer).Put("a.b", new Struct(inner).Put("c", "v"));
        var result = Extract("`a.b`.c", "V2").Apply(Value(outer, value))!;
        Assert.Equal(Schema.StringSchema, result.ValueSchema);
        Assert.Equal("v", result.Value);
    }

    [Fact]
    public void ConfigErrors()
    {
        Assert.Throws<ConfigException>(() => Extract("a", "V3"));
        var e = Assert.Throws<ConfigException>(() => Extract("`a.b", "V2"));
        Assert.StartsWith("Incomplete backtick pair in path: [`a.b]", e.Message);
        Assert.Throws<ConfigException>(() => new ExtractField<SourceRecord>.Key().Configure(Props()));
    }

    [Theory]
    [InlineData("foo", new[] { "foo" })]
    [InlineData("foo.bar", new[] { "foo", "bar" })]
    [InlineData("`foo.bar`.baz", new[] { "foo.bar", "baz" })]
    [InlineData("foo..", new[] { "foo", "", "" })]
    [InlineData("fo`o.b`ar", new[] { "fo`o", "b`ar" })]
    [InlineData("`foo\\`.bar`.baz", new[] { "foo`.bar", "baz" })]
    [InlineData("`foo.bar`", new[] { "foo.bar" })]
    public void V2PathSteps(string path, string[] steps)
    {
        Assert.Equal(steps, new OrleansConnect.Plugins.Transforms.Util.SingleFieldPath(path, OrleansConnect.Plugins.Transforms.Util.FieldSyntaxVersion.V2).Steps);
    }
}

public class FilterTests
{
    [Fact]
    public void AlwaysDrops()
    {
        var filter = new Filter<SourceRecord>();
        filter.Configure(Props());
        Assert.Null(filter.Apply(Value(Schema.StringSchema, "x")));
        Assert.Empty(filter.Config.Keys);
    }
}

public class HoistFieldTests
{
    [Fact]
    public void SchemalessWrapsIncludingNull()
    {
        var hoist = new HoistField<SourceRecord>.Value();
        hoist.Configure(Props(("field", "f")));
        Assert.Equal(42, ((IDictionary)hoist.Apply(Value(null, 42))!.Value!)["f"]);
        var tombstone = hoist.Apply(Value(null, null))!;
        var map = (IDictionary)tombstone.Value!;
        Assert.True(map.Contains("f"));
        Assert.Null(map["f"]);
    }

    [Fact]
    public void SchemaModeBuildsAnUnnamedRequiredStruct()
    {
        var hoist = new HoistField<SourceRecord>.Key();
        hoist.Configure(Props(("field", "f")));
        var keySchema = SchemaBuilder.Int32().Name("n").Build();
        var result = hoist.Apply(Key(keySchema, 42))!;
        Assert.Null(result.KeySchema!.Name);
        Assert.False(result.KeySchema.IsOptional);
        Assert.Equal(keySchema, result.KeySchema.Field("f")!.Schema);
        Assert.Equal(42, ((Struct)result.Key!).Get("f"));
    }
}

public class InsertFieldTests
{
    private static InsertField<R> Configure<R>(InsertField<R> t, params (string, string?)[] props) where R : Connect.Connector.ConnectRecord
    {
        t.Configure(Props(props));
        return t;
    }

    [Fact]
    public void SchemalessInsertsEverythingAndOverwrites()
    {
        var t = Configure(new InsertField<SinkRecord>.Value(), ("topic.field", "topic_field!"), ("partition.field", "partition_field"),
            ("offset.field", "offset_field?"), ("timestamp.field", "ts"), ("static.field", "instance_id"), ("static.value", "my-instance"));
        var result = t.Apply(SinkValue(null, Map(("magic", 42L), ("ts", "old"))))!;
        var map = (IDictionary)result.Value!;
        Assert.Equal(42L, map["magic"]);
        Assert.Equal("test", map["topic_field"]);
        Assert.Equal(3, map["partition_field"]);
        Assert.Equal(42L, map["offset_field"]);
        Assert.Equal(TestRecords.TimestampMillis, map["ts"]);
        Assert.Equal("my-instance", map["instance_id"]);
    }

    [Fact]
    public void SchemalessSkipsNullTimestampAndNeedsSinkRecordsForOffsets()
    {
        var t = Configure(new InsertField<SourceRecord>.Value(), ("timestamp.field", "ts"));
        Assert.False(((IDictionary)t.Apply(Value(null, Map(("a", 1)), timestamp: null))!.Value!).Contains("ts"));
        var offset = Configure(new InsertField<SourceRecord>.Value(), ("offset.field", "o"));
        var e = Assert.Throws<DataException>(() => offset.Apply(Value(null, Map(("a", 1)))));
        Assert.StartsWith("Only SinkRecord supported for [field insertion]", e.Message);
    }

    [Fact]
    public void SchemaModeAppendsFieldsWithOptionalitySuffixes()
    {
        var t = Configure(new InsertField<SinkRecord>.Value(), ("topic.field", "topic_field!"), ("partition.field", "partition_field"),
            ("offset.field", "offset_field"), ("timestamp.field", "ts?"), ("static.field", "instance_id"), ("static.value", "i"));
        var schema = SchemaBuilder.Struct().Name("name").Version(1).Doc("doc").Field("magic", Schema.OptionalInt64Schema).Build();
        var result = t.Apply(SinkValue(schema, new Struct(schema).Put("magic", 42L)))!;
        var updated = result.ValueSchema!;
        Assert.Equal("name", updated.Name);
        Assert.Equal(1, updated.Version);
        Assert.Equal("doc", updated.Doc);
        Assert.Equal(["magic", "topic_field", "partition_field", "offset_field", "ts", "instance_id"], updated.Fields.Select(f => f.Name));
        Assert.Equal(Schema.StringSchema, updated.Field("topic_field")!.Schema);
        Assert.Equal(Schema.OptionalInt32Schema, updated.Field("partition_field")!.Schema);
        Assert.Equal(Schema.OptionalInt64Schema, updated.Field("offset_field")!.Schema);
        Assert.Equal(Timestamp.LogicalName, updated.Field("ts")!.Schema.Name);
        Assert.True(updated.Field("ts")!.Schema.IsOptional);
        var value = (Struct)result.Value!;
        Assert.Equal(new LogicalTime(TestRecords.TimestampMillis), value.Get("ts"));
        Assert.Equal(42L, value.Get("offset_field"));
        Assert.Equal(3, value.Get("partition_field"));
    }

    // InsertField.applyWithSchema puts new Date(record.timestamp()); applySchemaless the long itself. Any long is kept.
    [Fact]
    public void TimestampFieldKeepsAnyLong_InsertField_java()
    {
        var t = Configure(new InsertField<SourceRecord>.Value(), ("timestamp.field", "ts"));
        var schema = SchemaBuilder.Struct().Field("a", Schema.Int32Schema).Build();
        var withSchema = (Struct)t.Apply(Value(schema, new Struct(schema).Put("a", 1), timestamp: long.MaxValue))!.Value!;
        Assert.Equal(new LogicalTime(long.MaxValue), withSchema.Get("ts"));
        var schemaless = (IDictionary)t.Apply(Value(null, Map(("a", 1)), timestamp: long.MinValue))!.Value!;
        Assert.Equal(long.MinValue, schemaless["ts"]);
    }

    [Fact]
    public void SchemaModeNameClashIsADataError()
    {
        var t = Configure(new InsertField<SourceRecord>.Value(), ("topic.field", "magic"));
        var schema = SchemaBuilder.Struct().Field("magic", Schema.Int32Schema).Build();
        Assert.ThrowsAny<DataException>(() => t.Apply(Value(schema, new Struct(schema).Put("magic", 1))));
    }

    [Fact]
    public void NullValuesAreLeftAlone()
    {
        var t = Configure(new InsertField<SourceRecord>.Value(), ("topic.field", "t"));
        var tombstone = Value(null, null);
        Assert.Same(tombstone, t.Apply(tombstone));
        var keyed = Configure(new InsertField<SourceRecord>.Key(), ("topic.field", "t"));
        var nullKey = Key(null, null);
        Assert.Same(nullKey, keyed.Apply(nullKey));
    }

    [Fact]
    public void ConfigErrors()
    {
        Assert.Equal("No field insertion configured",
            Assert.Throws<ConfigException>(() => Configure(new InsertField<SourceRecord>.Value())).Message);
        var e = Assert.Throws<ConfigException>(() => Configure(new InsertField<SourceRecord>.Value(), ("static.field", "s")));
        Assert.Equal("Invalid value null for configuration static.value: No value specified for static field: s", e.Message);
    }
}
