using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Header;
using OrleansConnect.Connect.Sink;
using OrleansConnect.Connect.Source;
using OrleansConnect.Plugins.Transforms.Predicates;
using Xunit;
using static OrleansConnect.Tests.TestRecords;

namespace OrleansConnect.Tests.Transforms;

public class PredicateTests
{
    [Fact]
    public void HasHeaderKeyMatchesExactKeysEvenWithNullValues()
    {
        var p = new HasHeaderKey<SourceRecord>();
        p.Configure(Props(("name", "h")));
        Assert.True(p.Test(Value(null, "v", new ConnectHeaders().AddString("x", "1").Add("h", null, null))));
        Assert.False(p.Test(Value(null, "v", new ConnectHeaders().AddString("H", "1"))));
        Assert.False(p.Test(Value(null, "v")));
        Assert.Throws<ConfigException>(() => new HasHeaderKey<SourceRecord>().Configure(Props(("name", ""))));
        Assert.Throws<ConfigException>(() => new HasHeaderKey<SourceRecord>().Configure(Props()));
    }

    [Fact]
    public void RecordIsTombstoneChecksOnlyTheValue()
    {
        var p = new RecordIsTombstone<SourceRecord>();
        p.Configure(Props());
        Assert.True(p.Test(Value(Schema.OptionalStringSchema, null)));
        Assert.True(p.Test(new SourceRecord(null, null, "t", 0, Schema.StringSchema, "key", null, null)));
        Assert.False(p.Test(Value(null, "v")));
    }

    [Fact]
    public void TopicNameMatchesNeedsAFullMatch()
    {
        var p = new TopicNameMatches<SourceRecord>();
        p.Configure(Props(("pattern", "my-prefix-.*")));
        Assert.True(p.Test(Value(null, "v", topic: "my-prefix-orders")));
        Assert.False(p.Test(Value(null, "v", topic: "x-my-prefix-orders")));
        var exact = new TopicNameMatches<SourceRecord>();
        exact.Configure(Props(("pattern", "orders")));
        Assert.False(exact.Test(Value(null, "v", topic: "orders2")));
    }

    // Kafka: TopicNameMatchesTest.testTopicNameMatches ends with a SourceRecord whose topic is null: no match.
    [Fact]
    public void TopicNameMatchesDoesNotMatchANullTopic_TopicNameMatchesTest()
    {
        var any = new TopicNameMatches<SourceRecord>();
        any.Configure(Props(("pattern", ".*")));
        Assert.False(any.Test(new SourceRecord(null, null, null, null, null)));
        var sink = new TopicNameMatches<SinkRecord>();
        sink.Configure(Props(("pattern", ".*")));
        Assert.False(sink.Test(SinkValue(null, "v", topic: null)));
        // An empty topic is a topic: ".*" matches it (java.util.regex Matcher.matches on "").
        Assert.True(any.Test(Value(null, "v", topic: "")));
    }

    [Theory]
    [InlineData("")]
    [InlineData("[")]
    [InlineData("*")]
    public void TopicNameMatchesRejectsBadPatterns(string pattern)
    {
        Assert.Throws<ConfigException>(() => new TopicNameMatches<SourceRecord>().Configure(Props(("pattern", pattern))));
    }

    [Fact]
    public void TopicNameMatchesErrorMessageNamesJavaRegex()
    {
        var e = Assert.Throws<ConfigException>(() => new TopicNameMatches<SourceRecord>().Configure(Props(("pattern", "["))));
        Assert.StartsWith("Invalid value [ for configuration pattern: entry must be a Java-compatible regular expression:", e.Message);
    }
}
