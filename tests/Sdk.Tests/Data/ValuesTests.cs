using OrleansConnect.Connect.Data;
using Xunit;

namespace OrleansConnect.Tests.Data;

public class ValuesTests
{
    [Theory]
    [InlineData(1.0, "1.0")]
    [InlineData(0.001, "0.001")]
    [InlineData(0.0001, "1.0E-4")]
    [InlineData(1234567.0, "1234567.0")]
    [InlineData(12345678.0, "1.2345678E7")]
    [InlineData(9.223372036854776E18, "9.223372036854776E18")]
    [InlineData(-2.5, "-2.5")]
    [InlineData(0.1, "0.1")]
    [InlineData(100.0, "100.0")]
    [InlineData(1e-10, "1.0E-10")]
    public void Doubles_format_as_java(double value, string expected) => Assert.Equal(expected, Values.FormatDouble(value));

    [Fact]
    public void Floats_and_specials_format_as_java()
    {
        Assert.Equal("12.34", Values.FormatFloat(12.34f));
        Assert.Equal("0.0", Values.FormatDouble(0.0));
        Assert.Equal("NaN", Values.FormatDouble(double.NaN));
        Assert.Equal("-Infinity", Values.FormatFloat(float.NegativeInfinity));
    }

    [Theory]
    [InlineData("1.5600", "1.5600")]
    [InlineData("0.000001", "0.000001")]
    [InlineData("0.00000001", "1E-8")]
    [InlineData("-0.0000001234", "-1.234E-7")]
    [InlineData("42", "42")]
    public void Decimals_format_as_java_big_decimal(string text, string expected) =>
        Assert.Equal(expected, Values.FormatDecimal(decimal.Parse(text, System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public void Java_strings_of_collections()
    {
        Assert.Equal("[1, a, true]", Values.ToJavaString(new List<object?> { 1, "a", true }));
        Assert.Equal("{k=1.0}", Values.ToJavaString(new Dictionary<object, object?> { ["k"] = 1.0 }));
        Assert.Equal("null", Values.ToJavaString(null));
    }

    [Fact]
    public void Deep_equality_compares_contents()
    {
        Assert.True(Values.DeepEquals(new byte[] { 1, 2 }, new byte[] { 1, 2 }));
        Assert.True(Values.DeepEquals(
            new List<object?> { new Dictionary<object, object?> { ["a"] = new byte[] { 1 } } },
            new List<object?> { new Dictionary<object, object?> { ["a"] = new byte[] { 1 } } }));
        Assert.False(Values.DeepEquals(1, 1L));
        Assert.Equal(Values.DeepHashCode(new byte[] { 3 }), Values.DeepHashCode(new byte[] { 3 }));
    }
}
