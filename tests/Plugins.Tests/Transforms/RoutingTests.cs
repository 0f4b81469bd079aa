using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Connect.Header;
using OrleansConnect.Connect.Source;
using OrleansConnect.Plugins.Transforms;
using Xunit;
using static OrleansConnect.Tests.TestRecords;

namespace OrleansConnect.Tests.Transforms;

public class RegexRouterTests
{
    private static string? Route(string regex, string replacement, string topic)
    {
        var router = new RegexRouter<SourceRecord>();
        router.Configure(Props(("regex", regex), ("replacement", replacement)));
        return router.Apply(Value(Schema.StringSchema, "v", topic: topic))?.Topic;
    }

    [Theory]
    [InlineData("foo", "bar", "foo", "bar")]
    [InlineData("foo", "bar", "foox", "foox")] // the whole topic must match
    [InlineData("(.*)SomeTopic", "$1OtherTopic", "aSomeTopic", "aOtherTopic")]
    [InlineData("(.*)SomeTopic", "$1OtherTopic", "aSomeTopic1", "aSomeTopic1")]
    [InlineData("(?<pre>\\w+)-(\\d+)", "${pre}_$2", "orders-12", "orders_12")]
    [InlineData("(.*)", "\\$$1", "t", "$t")]
    [InlineData("a+?", "X", "aaa", "Xaa")] // replaceFirst finds the first (lazy) match
    [InlineData("(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)", "$10-$11", "abcdefghij", "j-a1")]
    [InlineData("(.*)", "", "topic", "")]
    public void RoutesLikeJava(string regex, string replacement, string topic, string expected)
    {
        Assert.Equal(expected, Route(regex, replacement, topic));
    }

    // Kafka's RegexRouter.apply hands record.topic() to Pattern.matcher, which throws on null: the record fails.
    [Fact]
    public void ANullTopicFailsTheRecord_RegexRouter()
    {
        var router = new RegexRouter<SourceRecord>();
        router.Configure(Props(("regex", ".*"), ("replacement", "x")));
        Assert.Throws<DataException>(() => router.Apply(Value(Schema.StringSchema, "v", topic: null)));
        Assert.Equal("x", router.Apply(Value(Schema.StringSchema, "v", topic: ""))!.Topic);
    }

    [Fact]
    public void ReplacementIsTrimmedAndRecordContentKept()
    {
        var router = new RegexRouter<SourceRecord>();
        router.Configure(Props(("regex", "(.*)"), ("replacement", "  $1-x  ")));
        var headers = new ConnectHeaders().AddString("h", "1");
        var record = new SourceRecord(null, null, "t", 2, Schema.StringSchema, "k", Schema.Int32Schema, 5, 99L, headers);
        var routed = router.Apply(record)!;
        Assert.Equal("t-x", routed.Topic);
        Assert.Equal(2, routed.KafkaPartition);
        Assert.Equal("k", routed.Key);
        Assert.Equal(5, routed.Value);
        Assert.Equal(99L, routed.Timestamp);
        Assert.Equal(headers, routed.Headers);
    }

    [Fact]
    public void UnknownGroupIsADataError()
    {
        Assert.Throws<DataException>(() => Route("(a)", "$2", "a"));
        Assert.Throws<DataException>(() => Route("(a)", "${nope}", "a"));
    }

    [Theory]
    [InlineData("[")]
    [InlineData("*")]
    [InlineData("a{")]
    public void InvalidRegexIsAConfigError(string regex)
    {
        var router = new RegexRouter<SourceRecord>();
        var e = Assert.Throws<ConfigException>(() => router.Configure(Props(("regex", regex), ("replacement", "x"))));
        Assert.Contains("Invalid regex", e.Message);
    }

    [Fact]
    public void MissingConfigsAreErrors()
    {
        Assert.Throws<ConfigException>(() => new RegexRouter<SourceRecord>().Configure(Props(("regex", "a"))));
        Assert.Throws<ConfigException>(() => new RegexRouter<SourceRecord>().Configure(Props(("replacement", "a"))));
    }
}

public class TimestampRouterTests
{
    [Fact]
    public void DefaultFormat()
    {
        var router = new TimestampRouter<SourceRecord>();
        router.Configure(Props());
        Assert.Equal("test-20170103", router.Apply(Value(null, "v"))!.Topic);
    }

    // Kafka's TimestampRouter.apply passes record.topic() to Matcher.quoteReplacement, which throws on null.
    [Fact]
    public void ANullTopicFailsTheRecord_TimestampRouter()
    {
        var router = new TimestampRouter<SourceRecord>();
        router.Configure(Props());
        Assert.Throws<DataException>(() => router.Apply(Value(null, "v", topic: null)));
        Assert.Equal("-20170103", router.Apply(Value(null, "v", topic: ""))!.Topic);
    }

    [Fact]
    public void CustomFormatsReplaceEveryPlaceholderLiterally()
    {
        var router = new TimestampRouter<SourceRecord>();
        router.Configure(Props(("topic.format", "${timestamp}/${topic}/${topic}"), ("timestamp.format", "yyyy-MM-dd'T'HH:mm")));
        Assert.Equal("2017-01-03T06:30/a$1\\b/a$1\\b", router.Apply(Value(null, "v", topic: "a$1\\b"))!.Topic);
    }

    [Fact]
    public void MissingTimestampIsADataError()
    {
        var router = new TimestampRouter<SourceRecord>();
        router.Configure(Props());
        var e = Assert.Throws<DataException>(() => router.Apply(Value(null, "v", timestamp: null)));
        Assert.StartsWith("Timestamp missing on record", e.Message);
    }

    [Fact]
    public void BadTimestampFormatIsAConfigError()
    {
        Assert.Throws<ConfigException>(() => new TimestampRouter<SourceRecord>().Configure(Props(("timestamp.format", "yyyyMMddq"))));
    }
}

public class SetSchemaMetadataTests
{
    private static SetSchemaMetadata<SourceRecord>.Value Set(params (string, string?)[] props)
    {
        var t = new SetSchemaMetadata<SourceRecord>.Value();
        t.Configure(Props(props));
        return t;
    }

    [Fact]
    public void RenamesAndVersionsStructSchemasAndRehomesTheValue()
    {
        var schema = SchemaBuilder.Struct().Name("old").Version(1).Doc("doc").Parameter("p", "v").Optional()
            .Field("a", Schema.Int32Schema).Build();
        var result = Set(("schema.name", "new"), ("schema.version", "42")).Apply(Value(schema, new Struct(schema).Put("a", 7)))!;
        var updated = result.ValueSchema!;
        Assert.Equal("new", updated.Name);
        Assert.Equal(42, updated.Version);
        Assert.Equal("doc", updated.Doc);
        Assert.True(updated.IsOptional);
        Assert.Equal("v", updated.Parameters!["p"]);
        var value = (Struct)result.Value!;
        Assert.Same(updated, value.Schema);
        Assert.Equal(7, value.Get("a"));

        var onlyVersion = Set(("schema.version", "3")).Apply(Value(schema, new Struct(schema).Put("a", 7)))!;
        Assert.Equal("old", onlyVersion.ValueSchema!.Name);
        Assert.Equal(3, onlyVersion.ValueSchema.Version);
    }

    [Fact]
    public void NonStructSchemasAreDataErrors()
    {
        var e = Assert.Throws<DataException>(() => Set(("schema.name", "x")).Apply(Value(Schema.StringSchema, "s")));
        Assert.Equal("Cannot list fields on non-struct type", e.Message);
        Assert.Throws<DataException>(() => Set(("schema.name", "x")).Apply(Value(ConnectDecimal.Schema(2), 1.00m)));
    }

    [Fact]
    public void NullSchemaCases()
    {
        var tombstone = Value(null, null);
        Assert.Same(tombstone, Set(("schema.name", "x")).Apply(tombstone));
        var e = Assert.Throws<DataException>(() => Set(("schema.name", "x")).Apply(Value(null, "v")));
        Assert.Equal("Schema required for [updating schema metadata]", e.Message);
    }

    [Fact]
    public void NeitherNameNorVersionIsAConfigError()
    {
        Assert.Equal("Neither schema name nor version configured", Assert.Throws<ConfigException>(() => Set()).Message);
        Assert.Throws<ConfigException>(() => Set(("schema.version", "x")));
    }
}

public class ValueToKeyTests
{
    private static ValueToKey<SourceRecord> Configure(string fields)
    {
        var t = new ValueToKey<SourceRecord>();
        t.Configure(Props(("fields", fields)));
        return t;
    }

    [Fact]
    public void SchemalessKeyInConfigOrderWithNullForMissing()
    {
        var value = Map(("a", 1), ("b", 2), ("c", 3));
        var result = Configure("c,a,missing").Apply(Value(null, value))!;
        var key = (System.Collections.IDictionary)result.Key!;
        Assert.Equal(["c", "a", "missing"], key.Keys.Cast<object>());
        Assert.Equal(3, key["c"]);
        Assert.Null(key["missing"]);
        Assert.Null(result.KeySchema);
        Assert.Same(value, result.Value);
    }

    [Fact]
    public void SchemaModeBuildsAnUnnamedStructKey()
    {
        var schema = SchemaBuilder.Struct().Name("v").Field("a", Schema.Int32Schema).Field("b", Schema.StringSchema).Build();
        var value = new Struct(schema).Put("a", 1).Put("b", "x");
        var result = Configure("b,a").Apply(Value(schema, value))!;
        Assert.Null(result.KeySchema!.Name);
        Assert.Equal(["b", "a"], result.KeySchema.Fields.Select(f => f.Name));
        Assert.Equal("x", ((Struct)result.Key!).Get("b"));
        Assert.Same(value, result.Value);
        var e = Assert.Throws<DataException>(() => Configure("zz").Apply(Value(schema, value)));
        Assert.Equal("Field does not exist: zz", e.Message);
    }

    [Fact]
    public void NullValueIsADataError()
    {
        Assert.Throws<DataException>(() => Configure("a").Apply(Value(null, null)));
        Assert.Throws<ConfigException>(() => Configure(""));
    }
}
