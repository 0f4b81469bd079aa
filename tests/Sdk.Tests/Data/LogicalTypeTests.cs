using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;
using Xunit;

namespace OrleansConnect.Tests.Data;

public class LogicalTypeTests
{
    [Theory]
    [InlineData("0", 0, new byte[] { 0 })]
    [InlineData("1.56", 2, new byte[] { 0x00, 0x9C })]
    [InlineData("156", 0, new byte[] { 0, 0x9C })]
    [InlineData("-1.56", 2, new byte[] { 0xFF, 0x64 })]
    [InlineData("-1", 0, new byte[] { 0xFF })]
    [InlineData("-128", 0, new byte[] { 0x80 })]
    [InlineData("-129", 0, new byte[] { 0xFF, 0x7F })]
    [InlineData("12345678901234567890.12345678", 8, new byte[] { 0x03, 0xFD, 0x35, 0xEB, 0x6D, 0x79, 0x7A, 0x91, 0xBE, 0x38, 0xF3, 0x4E })]
    public void Decimal_bytes_are_big_endian_twos_complement_of_the_unscaled_value(string text, int scale, byte[] expected)
    {
        var value = decimal.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
        var schema = ConnectDecimal.Schema(scale);

        var bytes = ConnectDecimal.FromLogical(schema, value);

        Assert.Equal(expected, bytes);
        var back = ConnectDecimal.ToLogical(schema, bytes);
        Assert.Equal(value, back);
        Assert.Equal(scale, back.Scale);
    }

    [Fact]
    public void Decimal_schema_shape()
    {
        var schema = ConnectDecimal.Schema(3);

        Assert.Equal(SchemaType.Bytes, schema.Type);
        Assert.Equal("org.apache.kafka.connect.data.Decimal", schema.Name);
        Assert.Equal(1, schema.Version);
        Assert.Equal("3", schema.Parameters![ConnectDecimal.ScaleField]);
        Assert.Equal(3, ConnectDecimal.Scale(schema));
    }

    [Fact]
    public void Decimal_with_another_scale_or_without_scale_is_rejected()
    {
        var e = Assert.Throws<DataException>(() => ConnectDecimal.FromLogical(ConnectDecimal.Schema(2), 1.5m));
        Assert.Equal("BigDecimal has mismatching scale value for given Decimal schema", e.Message);
        Assert.Throws<DataException>(() => ConnectDecimal.ToLogical(Schema.BytesSchema, [1]));
    }

    [Fact]
    public void Decimal_beyond_system_decimal_is_a_data_error()
    {
        var huge = new byte[16];
        huge[1] = 0x7F;
        Assert.Throws<DataException>(() => ConnectDecimal.ToLogical(ConnectDecimal.Schema(0), huge));
    }

    private static LogicalTime Utc(int year, int month, int day, int hour = 0, int minute = 0, int second = 0, int millis = 0) =>
        LogicalTime.FromDateTime(new DateTime(year, month, day, hour, minute, second, millis, DateTimeKind.Utc));

    [Fact]
    public void Date_is_days_since_epoch()
    {
        var schema = Date.Schema();
        var day = Utc(2024, 2, 29);

        Assert.Equal(SchemaType.Int32, schema.Type);
        Assert.Equal("org.apache.kafka.connect.data.Date", schema.Name);
        Assert.Equal(19782, Date.FromLogical(schema, day));
        Assert.Equal(day, Date.ToLogical(schema, 19782));
        Assert.Equal(DateTimeKind.Utc, Date.ToLogical(schema, 0).ToDateTime().Kind);
        Assert.Equal(Utc(1969, 12, 31), Date.ToLogical(schema, -1));
        Assert.Equal(-1, Date.FromLogical(schema, Utc(1969, 12, 31)));
    }

    [Fact]
    public void Date_with_a_time_part_is_rejected()
    {
        var e = Assert.Throws<DataException>(() => Date.FromLogical(Date.Schema(), Utc(2024, 1, 1, 0, 0, 1)));
        Assert.Equal("Kafka Connect Date type should not have any time fields set to non-zero values.", e.Message);
        Assert.Throws<DataException>(() => Date.FromLogical(Date.Schema(), new LogicalTime(-1)));
        Assert.Throws<DataException>(() => Date.FromLogical(Schema.Int32Schema, LogicalTime.Epoch));
    }

    [Fact]
    public void Time_is_millis_of_day()
    {
        var schema = Time.Schema();
        var value = new LogicalTime(45_296_789);

        Assert.Equal("org.apache.kafka.connect.data.Time", schema.Name);
        Assert.Equal(45_296_789, Time.FromLogical(schema, value));
        Assert.Equal(value, Time.ToLogical(schema, 45_296_789));
        Assert.Throws<DataException>(() => Time.FromLogical(schema, Utc(1970, 1, 2, 1)));
        Assert.Throws<DataException>(() => Time.ToLogical(schema, -1));
        Assert.Throws<DataException>(() => Time.ToLogical(schema, 86_400_001));
    }

    [Fact]
    public void Timestamp_is_epoch_millis()
    {
        var schema = Timestamp.Schema();
        var value = Utc(2023, 5, 6, 7, 8, 9, 123);

        Assert.Equal(SchemaType.Int64, schema.Type);
        Assert.Equal(1_683_356_889_123L, Timestamp.FromLogical(schema, value));
        Assert.Equal(value, Timestamp.ToLogical(schema, 1_683_356_889_123L));
        // A DateTime's sub-millisecond ticks round down, as a java.util.Date has none.
        Assert.Equal(-1L, Timestamp.FromLogical(schema, LogicalTime.FromDateTime(DateTime.UnixEpoch.AddTicks(-1))));
    }

    // Timestamp.java: toLogical is new java.util.Date(value) and fromLogical value.getTime(), so every long round-trips.
    [Theory]
    [InlineData(long.MaxValue)]
    [InlineData(long.MinValue)]
    [InlineData(253_402_300_800_000L)] // 10000-01-01T00:00:00Z, one millisecond past DateTime.MaxValue
    [InlineData(-62_135_596_800_001L)] // one millisecond before 0001-01-01T00:00:00Z
    public void Timestamp_keeps_every_long_exact_Timestamp_java(long millis)
    {
        var schema = Timestamp.Schema();
        var logical = Timestamp.ToLogical(schema, millis);
        Assert.Equal(millis, logical.EpochMillis);
        Assert.Equal(millis, Timestamp.FromLogical(schema, logical));
        Assert.False(logical.FitsDateTime);
        Assert.False(logical.TryToDateTime(out _));
        Schema.ValidateValue(schema, logical);
    }

    // Date.java: toLogical multiplies the int day count by MILLIS_PER_DAY in long arithmetic, so every int day is
    // representable (about +-5.9 million years), and fromLogical gives the same int back.
    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(int.MinValue)]
    public void Date_keeps_every_int_day_exact_Date_java(int days)
    {
        var schema = Date.Schema();
        var logical = Date.ToLogical(schema, days);
        Assert.Equal(days * LogicalTime.MillisPerDay, logical.EpochMillis);
        Assert.Equal(days, Date.FromLogical(schema, logical));
    }

    [Fact]
    public void Values_in_DateTime_range_convert_both_ways()
    {
        var value = new DateTime(9999, 12, 31, 23, 59, 59, 999, DateTimeKind.Utc);
        var logical = LogicalTime.FromDateTime(value);
        Assert.Equal(253_402_300_799_999L, logical.EpochMillis);
        Assert.Equal(value, logical.ToDateTime());
        Assert.Equal(DateTime.MinValue, LogicalTime.FromDateTime(DateTime.MinValue).ToDateTime());
        Assert.Throws<DataException>(() => new LogicalTime(long.MaxValue).ToDateTime());
    }

    [Fact]
    public void LogicalTime_text_is_ISO_8601_on_the_proleptic_Gregorian_calendar()
    {
        Assert.Equal("1970-01-01T00:00:00.000Z", LogicalTime.Epoch.ToString());
        Assert.Equal("1969-12-31T23:59:59.999Z", new LogicalTime(-1).ToString());
        Assert.Equal("2017-01-03T06:30:01.864Z", new LogicalTime(1_483_425_001_864L).ToString());
        // java.time.Instant.ofEpochMilli(Long.MAX_VALUE / Long.MIN_VALUE) gives the same fields.
        Assert.Equal("+292278994-08-17T07:12:55.807Z", new LogicalTime(long.MaxValue).ToString());
        Assert.Equal("-292275055-05-16T16:47:04.192Z", new LogicalTime(long.MinValue).ToString());
    }

    [Fact]
    public void Logical_values_are_validated_by_their_representation()
    {
        Schema.ValidateValue(ConnectDecimal.Schema(2), 1.25m);
        Schema.ValidateValue(Timestamp.Schema(), LogicalTime.FromDateTime(DateTime.UtcNow));
        Assert.Throws<DataException>(() => Schema.ValidateValue(Timestamp.Schema(), DateTime.UtcNow));
        Assert.Throws<DataException>(() => Schema.ValidateValue(ConnectDecimal.Schema(2), new byte[] { 1 }));
        Assert.Throws<DataException>(() => Schema.ValidateValue(Date.Schema(), 5));
    }
}
