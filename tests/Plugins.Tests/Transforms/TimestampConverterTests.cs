using System.Collections;
using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Connect.Source;
using OrleansConnect.Plugins.Transforms;
using Xunit;
using static OrleansConnect.Tests.TestRecords;

namespace OrleansConnect.Tests.Transforms;

public class TimestampConverterTests
{
    // 2017-01-03T06:30:01.864Z
    private static readonly LogicalTime Instant = new LogicalTime(TestRecords.TimestampMillis);

    private static TimestampConverter<SourceRecord>.Value Convert(params (string, string?)[] props)
    {
        var t = new TimestampConverter<SourceRecord>.Value();
        t.Configure(Props(props));
        return t;
    }

    [Theory]
    [InlineData("string", "yyyy-MM-dd HH:mm:ss.SSS", "2017-01-03 06:30:01.864")]
    [InlineData("unix", null, TestRecords.TimestampMillis)]
    public void SchemalessFromTimestamp(string target, string? format, object expected)
    {
        var props = new List<(string, string?)> { ("target.type", target) };
        if (format is not null) props.Add(("format", format));
        var result = Convert([.. props]).Apply(Value(null, Instant))!;
        Assert.Null(result.ValueSchema);
        Assert.Equal(expected, result.Value);
    }

    // TimestampConverter.java: Timestamp values are java.util.Date, read with getTime() and built with new Date(millis),
    // so the whole long range converts exactly to and from unix, and formats on the Gregorian calendar.
    [Theory]
    [InlineData(long.MaxValue)]
    [InlineData(long.MinValue)]
    public void TheWholeLongRangeConvertsExactly_TimestampConverter_java(long millis)
    {
        Assert.Equal(millis, Convert(("target.type", "unix")).Apply(Value(null, new LogicalTime(millis)))!.Value);
        Assert.Equal(new LogicalTime(millis), Convert(("target.type", "Timestamp")).Apply(Value(null, millis))!.Value);
        var schema = Timestamp.Schema();
        var withSchema = Convert(("target.type", "unix")).Apply(Value(schema, new LogicalTime(millis)))!;
        Assert.Equal(Schema.Int64Schema, withSchema.ValueSchema);
        Assert.Equal(millis, withSchema.Value);
    }

    [Fact]
    public void TheEndOfTheLongRangeFormatsAsJava_TimestampConverter_java()
    {
        // new java.util.Date(Long.MAX_VALUE) is Sun Aug 17 07:12:55.807 UTC 292278994.
        Assert.Equal("292278994-08-17 07:12:55.807",
            Convert(("target.type", "string"), ("format", "yyyy-MM-dd HH:mm:ss.SSS")).Apply(Value(null, new LogicalTime(long.MaxValue)))!.Value);
        // Date from the same instant: the start of its UTC day.
        Assert.Equal(new LogicalTime(long.MaxValue - 25_975_807L),
            Convert(("target.type", "Date")).Apply(Value(null, new LogicalTime(long.MaxValue)))!.Value);
    }

    [Fact]
    public void SchemalessToDateTimeAndTimestamp()
    {
        Assert.Equal(Utc(2017, 1, 3), Convert(("target.type", "Date")).Apply(Value(null, Instant))!.Value);
        Assert.Equal(Utc(1970, 1, 1, 6, 30, 1, 864), Convert(("target.type", "Time")).Apply(Value(null, Instant))!.Value);
        Assert.Equal(Instant, Convert(("target.type", "Timestamp")).Apply(Value(null, TestRecords.TimestampMillis))!.Value);
        Assert.Equal(Instant, Convert(("target.type", "Timestamp"), ("format", "yyyy-MM-dd'T'HH:mm:ss.SSSX"))
            .Apply(Value(null, "2017-01-03T06:30:01.864Z"))!.Value);
    }

    [Fact]
    public void DateTruncatesInUtcIncludingBeforeTheEpoch()
    {
        Assert.Equal(Utc(1969, 12, 31), Convert(("target.type", "Date")).Apply(Value(null, -1L))!.Value);
    }

    [Theory]
    [InlineData("seconds", 1483425001L)]
    [InlineData("milliseconds", TestRecords.TimestampMillis)]
    [InlineData("microseconds", TestRecords.TimestampMillis * 1000)]
    [InlineData("nanoseconds", TestRecords.TimestampMillis * 1_000_000)]
    public void UnixPrecisionAppliesWhenWriting(string precision, long expected)
    {
        Assert.Equal(expected, Convert(("target.type", "unix"), ("unix.precision", precision)).Apply(Value(null, Instant))!.Value);
    }

    [Fact]
    public void UnixPrecisionAppliesWhenReadingAndTruncatesSubMillis()
    {
        Assert.Equal(new LogicalTime(1483425001000L),
            Convert(("target.type", "Timestamp"), ("unix.precision", "seconds")).Apply(Value(null, 1483425001L))!.Value);
        Assert.Equal(1483425001864000000L,
            Convert(("target.type", "unix"), ("unix.precision", "nanoseconds")).Apply(Value(null, 1483425001864123456L))!.Value);
    }

    [Fact]
    public void StringParsingIsLenientAndIgnoresTrailingText()
    {
        var t = Convert(("target.type", "Date"), ("format", "yyyy-MM-dd"));
        Assert.Equal(Utc(2025, 1, 1), t.Apply(Value(null, "2024-13-01"))!.Value);
        Assert.Equal(Utc(2024, 2, 1), t.Apply(Value(null, "2024-02-01 and more"))!.Value);
        var e = Assert.Throws<DataException>(() => t.Apply(Value(null, "garbage")));
        Assert.Equal("Could not parse timestamp: value (garbage) does not match pattern (yyyy-MM-dd)", e.Message);
    }

    [Fact]
    public void StringInputWithoutFormatFailsAtRuntime()
    {
        Assert.Throws<DataException>(() => Convert(("target.type", "unix")).Apply(Value(null, "2024-01-01")));
    }

    [Fact]
    public void UnsupportedSchemalessTypesAreDataErrors()
    {
        var e = Assert.Throws<DataException>(() => Convert(("target.type", "unix")).Apply(Value(null, 1.5d)));
        Assert.StartsWith("TimestampConverter does not support", e.Message);
    }

    [Fact]
    public void WholeValueWithSchemaKeepsOptionality()
    {
        var optionalTimestamp = Timestamp.Builder().Optional().Build();
        var result = Convert(("target.type", "string"), ("format", "yyyyMMdd")).Apply(Value(optionalTimestamp, Instant))!;
        Assert.Equal(Schema.OptionalStringSchema, result.ValueSchema);
        Assert.Equal("20170103", result.Value);

        var fromString = Convert(("target.type", "Timestamp"), ("format", "yyyyMMdd")).Apply(Value(Schema.StringSchema, "20170103"))!;
        Assert.Equal(Timestamp.Schema(), fromString.ValueSchema);
        Assert.Equal(Utc(2017, 1, 3), fromString.Value);

        var nullValue = Convert(("target.type", "Date")).Apply(Value(Timestamp.Builder().Optional().Build(), null))!;
        Assert.Equal(Date.Builder().Optional().Build(), nullValue.ValueSchema);
        Assert.Null(nullValue.Value);
    }

    [Fact]
    public void SchemaTypesThatAreNotTimestampsFail()
    {
        Assert.ThrowsAny<ConnectException>(() => Convert(("target.type", "unix")).Apply(Value(Schema.Int32Schema, 5)));
    }

    [Fact]
    public void FieldConversionReplacesTheFieldSchemaAndDropsItsDefault()
    {
        var schema = SchemaBuilder.Struct().Name("rec").Optional()
            .Field("ts", SchemaBuilder.Int64().Optional().DefaultValue(0L).Build())
            .Field("other", Schema.StringSchema)
            .Build();
        var value = new Struct(schema).Put("ts", TestRecords.TimestampMillis).Put("other", "o");
        var converter = Convert(("target.type", "Timestamp"), ("field", "ts"));
        var result = converter.Apply(Value(schema, value))!;
        var updated = result.ValueSchema!;
        Assert.Equal("rec", updated.Name);
        Assert.True(updated.IsOptional);
        var ts = updated.Field("ts")!.Schema;
        Assert.Equal(Timestamp.LogicalName, ts.Name);
        Assert.True(ts.IsOptional);
        Assert.Null(ts.DefaultValue);
        Assert.Equal(Schema.StringSchema, updated.Field("other")!.Schema);
        Assert.Equal(Instant, ((Struct)result.Value!).Get("ts"));

        var nullStruct = converter.Apply(Value(schema, null))!;
        Assert.Same(updated, nullStruct.ValueSchema);
        Assert.Null(nullStruct.Value);
    }

    [Fact]
    public void SchemalessMissingFieldIsAddedAsNull()
    {
        var result = (IDictionary)Convert(("target.type", "unix"), ("field", "ts")).Apply(Value(null, Map(("a", 1))))!.Value!;
        Assert.True(result.Contains("ts"));
        Assert.Null(result["ts"]);
        Assert.Equal(1, result["a"]);
    }

    [Theory]
    [InlineData("target.type", "timestamp")]
    [InlineData("target.type", "bogus")]
    [InlineData("unix.precision", "Seconds")]
    public void EnumValuesAreCaseSensitive(string key, string value)
    {
        var props = Props(("target.type", "unix"));
        props[key] = value;
        Assert.Throws<ConfigException>(() => new TimestampConverter<SourceRecord>.Value().Configure(props));
    }

    [Fact]
    public void FormatConfigErrors()
    {
        var e = Assert.Throws<ConfigException>(() => Convert(("target.type", "string")));
        Assert.Equal("TimestampConverter requires format option to be specified when using string timestamps", e.Message);
        Assert.Throws<ConfigException>(() => Convert(("target.type", "string"), ("format", "yyyy-qq")));
        Assert.Throws<ConfigException>(() => Convert(("format", "yyyy")));
    }
}
