using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Connect.Storage;
using OrleansConnect.Plugins.Converters;
using Xunit;

namespace OrleansConnect.Tests.Converters;

public class NumberConverterTests
{
    private static readonly Dictionary<string, string?> NoConfig = new();

    public static TheoryData<IConverter, object, byte[], Schema> Cases => new()
    {
        { new ShortConverter(), (short)-2, [0xFF, 0xFE], Schema.OptionalInt16Schema },
        { new IntegerConverter(), 0x01020304, [1, 2, 3, 4], Schema.OptionalInt32Schema },
        { new LongConverter(), -1L, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], Schema.OptionalInt64Schema },
        { new FloatConverter(), 1.5f, [0x3F, 0xC0, 0, 0], Schema.OptionalFloat32Schema },
        { new DoubleConverter(), 2.0, [0x40, 0, 0, 0, 0, 0, 0, 0], Schema.OptionalFloat64Schema },
        { new BooleanConverter(), true, [1], Schema.OptionalBooleanSchema },
        { new BooleanConverter(), false, [0], Schema.OptionalBooleanSchema },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void SerializesBigEndianAndReadsBack(IConverter converter, object value, byte[] bytes, Schema schema)
    {
        converter.Configure(NoConfig, false);
        Assert.Equal(bytes, converter.FromConnectData("t", null, schema, value));
        Assert.Equal(bytes, converter.FromConnectData("t", null, null, value));
        Assert.Equal(new SchemaAndValue(schema, value), converter.ToConnectData("t", null, bytes));
        Assert.Null(converter.FromConnectData("t", null, schema, null));
        Assert.Equal(new SchemaAndValue(schema, null), converter.ToConnectData("t", null, null));

        var header = (IHeaderConverter)converter;
        header.Configure(NoConfig);
        Assert.Equal(bytes, header.FromConnectHeader("t", "h", schema, value));
        Assert.Equal(new SchemaAndValue(schema, value), header.ToConnectHeader("t", "h", bytes));
    }

    [Fact]
    public void WrongSizesAreDataErrors()
    {
        var e = Assert.Throws<DataException>(() => new IntegerConverter().ToConnectData("t", null, [1, 2]));
        Assert.Equal("Failed to deserialize integer: Size of data received by IntegerDeserializer is not 4", e.Message);
        Assert.Throws<DataException>(() => new LongConverter().ToConnectData("t", null, [1]));
        Assert.Throws<DataException>(() => new DoubleConverter().ToConnectData("t", null, []));
        Assert.Throws<DataException>(() => new BooleanConverter().ToConnectData("t", null, [0, 1]));
    }

    [Fact]
    public void BooleanRejectsOtherBytes()
    {
        var e = Assert.Throws<DataException>(() => new BooleanConverter().ToConnectData("t", null, [2]));
        Assert.Contains("Unexpected byte received by BooleanDeserializer: 2", e.Message);
    }

    [Fact]
    public void WrongValueTypesAndSchemasAreDataErrors()
    {
        var e = Assert.Throws<DataException>(() => new IntegerConverter().FromConnectData("t", null, null, 5L));
        Assert.Equal("Failed to serialize to integer (was class System.Int64)", e.Message);
        Assert.Throws<DataException>(() => new LongConverter().FromConnectData("t", null, null, "5"));
        Assert.Throws<DataException>(() => new IntegerConverter().FromConnectData("t", null, Schema.StringSchema, 5));
        Assert.Throws<DataException>(() => new BooleanConverter().FromConnectData("t", null, null, 1));
    }

    [Fact]
    public void ConfigHoldsConverterTypeAndRejectsBadValues()
    {
        var converter = new DoubleConverter();
        Assert.Contains(converter.Config.Keys, k => k.Name == ConverterConfig.TypeConfig);
        Assert.Throws<ConfigException>(() => ((IHeaderConverter)converter).Configure(new Dictionary<string, string?> { ["converter.type"] = "bogus" }));
    }
}
