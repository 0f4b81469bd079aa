using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Header;
using OrleansConnect.Connect.Sink;
using OrleansConnect.Connect.Source;

namespace OrleansConnect.Tests;

/// <summary>Record and config builders shared by the plugin tests.</summary>
internal static class TestRecords
{
    public const long TimestampMillis = 1483425001864L; // 2017-01-03T06:30:01.864Z

    public static SourceRecord Value(Schema? schema, object? value, ConnectHeaders? headers = null, string? topic = "test", long? timestamp = TimestampMillis) =>
        new(null, null, topic, 0, null, null, schema, value, timestamp, headers);

    public static SourceRecord Key(Schema? schema, object? key, string topic = "test") =>
        new(null, null, topic, 0, schema, key, null, null, TimestampMillis);

    public static SinkRecord SinkValue(Schema? schema, object? value, long offset = 42, long? timestamp = TimestampMillis, string? topic = "test") =>
        new(topic, 3, null, null, schema, value, offset, timestamp);

    public static Dictionary<string, string?> Props(params (string Key, string? Value)[] entries)
    {
        var props = new Dictionary<string, string?>();
        foreach (var (key, value) in entries) props[key] = value;
        return props;
    }

    public static Dictionary<object, object?> Map(params (string Key, object? Value)[] entries)
    {
        var map = new Dictionary<object, object?>();
        foreach (var (key, value) in entries) map[key] = value;
        return map;
    }

    /// <summary>The Date/Time/Timestamp logical value of a UTC calendar instant.</summary>
    public static LogicalTime Utc(int year, int month, int day, int hour = 0, int minute = 0, int second = 0, int millis = 0) =>
        LogicalTime.FromDateTime(new DateTime(year, month, day, hour, minute, second, millis, DateTimeKind.Utc));
}
