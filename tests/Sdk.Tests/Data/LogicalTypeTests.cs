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

    [Fact]
    public void Date_is_days_since_epoch()
    {
        var schema = Date.Schema();
        var day = new DateTime(2024, 2, 29, 0, 0, 0, DateTimeKind.Utc);

        Assert.Equal(SchemaType.Int32, schema.Type);
        Assert.Equal("org.apache.kafka.connect.data.Date", schema.Name);
        Assert.Equal(19782, Date.FromLogical(schema, day));
        Assert.Equal(day, Date.ToLogical(schema, 19782));
        Assert.Equal(DateTimeKind.Utc, Date.ToLogical(schema, 0).Kind);
        Assert.Equal(new DateTime(1969, 12, 31, 0, 0, 0, DateTimeKind.Utc), Date.ToLogical(schema, -1));
        Assert.Equal(-1, Date.FromLogical(schema, new DateTime(1969, 12, 31, 0, 0, 0, DateTimeKind.Utc)));
    }

    [Fact]
    public void Date_with_a_time_part_is_rejected()
    {
        var e = Assert.Throws<DataException>(() => Date.FromLogical(Date.Schema(), new DateTime(2024, 1, 1, 0, 0, 1, DateTimeKind.Utc)));
        Assert.Equal("Kafka Connect Date type should not have any time fields set to non-zero values.", e.Message);
        Assert.Throws<DataException>(() => Date.FromLogical(Schema.Int32Schema, DateTime.UnixEpoch));
    }

    [Fact]
    public void Time_is_millis_of_day()
    {
        var schema = Time.Schema();
        var value = DateTime.UnixEpoch.AddMilliseconds(45_296_789);

        Assert.Equal("org.apache.kafka.connect.data.Time", schema.Name);
        Assert.Equal(45_296_789, Time.FromLogical(schema, value));
        Assert.Equal(value, Time.ToLogical(schema, 45_296_789));
        Assert.Throws<DataException>(() => Time.FromLogical(schema, new DateTime(1970, 1, 2, 1, 0, 0, DateTimeKind.Utc)));
        Assert.Throws<DataException>(() => Time.ToLogical(schema, -1));
        Assert.Throws<DataException>(() => Time.ToLogical(schema, 86_400_001));
    }

    [Fact]
    public void Timestamp_is_epoch_millis()
    {
        var schema = Timestamp.Schema();
        var value = new DateTime(2023, 5, 6, 7, 8, 9, 123, DateTimeKind.Utc);

        Assert.Equal(SchemaType.Int64, schema.Type);
        Assert.Equal(1_683_356_889_123L, Timestamp.FromLogical(schema, value));
        Assert.Equal(value, Timestamp.ToLogical(schema, 1_683_356_889_123L));
        Assert.Equal(-1L, Timestamp.FromLogical(schema, DateTime.UnixEpoch.AddTicks(-1)));
        Assert.Throws<DataException>(() => Timestamp.ToLogical(schema, long.MaxValue));
    }

    [Fact]
    public void Logical_values_are_validated_by_their_representation()
    {
        Schema.ValidateValue(ConnectDecimal.Schema(2), 1.25m);
        Schema.ValidateValue(Timestamp.Schema(), DateTime.UtcNow);
        Assert.Throws<DataException>(() => Schema.ValidateValue(ConnectDecimal.Schema(2), new byte[] { 1 }));
        Assert.Throws<DataException>(() => Schema.ValidateValue(Date.Schema(), 5));
    }
}
