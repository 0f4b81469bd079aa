using OrleansConnect.Connect.Config;
using Xunit;

namespace OrleansConnect.Tests.Config;

public class AbstractConfigTests
{
    private static readonly ConfigDef Def = new ConfigDef()
        .Define("s", ConfigType.String, "x", Importance.High, "doc")
        .Define("i", ConfigType.Int, 1, Importance.High, "doc")
        .Define("sh", ConfigType.Short, (short)2, Importance.High, "doc")
        .Define("l", ConfigType.Long, 3L, Importance.High, "doc")
        .Define("d", ConfigType.Double, 4.5, Importance.High, "doc")
        .Define("b", ConfigType.Boolean, true, Importance.High, "doc")
        .Define("list", ConfigType.List, null, Importance.High, "doc")
        .Define("p", ConfigType.Password, null, Importance.High, "doc")
        .Define("c", ConfigType.Class, "com.example.C", Importance.High, "doc");

    [Fact]
    public void Typed_getters_return_parsed_values()
    {
        var config = new AbstractConfig(Def, new Dictionary<string, string?>
        {
            ["i"] = "10", ["list"] = "a, b", ["p"] = "pw", ["extra.one"] = "1", ["extra.two"] = "2",
        });

        Assert.Equal("x", config.GetString("s"));
        Assert.Equal(10, config.GetInt("i"));
        Assert.Equal((short)2, config.GetShort("sh"));
        Assert.Equal(3L, config.GetLong("l"));
        Assert.Equal(4.5, config.GetDouble("d"));
        Assert.True(config.GetBoolean("b"));
        Assert.Equal(["a", "b"], config.GetList("list"));
        Assert.Equal("pw", config.GetPassword("p")!.Value);
        Assert.Equal("com.example.C", config.GetClass("c"));
        Assert.Equal(10, config.Values["i"]);
        Assert.Equal("10", config.Originals["i"]);
    }

    [Fact]
    public void Unset_list_reads_as_empty_and_unknown_keys_throw()
    {
        var config = new AbstractConfig(Def, new Dictionary<string, string?>());

        Assert.Empty(config.GetList("list"));
        Assert.Null(config.GetPassword("p"));
        var e = Assert.Throws<ConfigException>(() => config.Get("nope"));
        Assert.Equal("Unknown configuration 'nope'", e.Message);
    }

    [Fact]
    public void Constructor_throws_on_invalid_values()
    {
        Assert.Throws<ConfigException>(() => new AbstractConfig(Def, new Dictionary<string, string?> { ["i"] = "ten" }));
    }

    [Fact]
    public void Originals_with_prefix()
    {
        var config = new AbstractConfig(Def, new Dictionary<string, string?>
        {
            ["extra.one"] = "1", ["extra.two"] = "2", ["extra."] = "ignored", ["other"] = "o",
        });

        var stripped = config.OriginalsWithPrefix("extra.");
        Assert.Equal(2, stripped.Count);
        Assert.Equal("1", stripped["one"]);
        Assert.Equal("2", config.OriginalsWithPrefix("extra.", strip: false)["extra.two"]);
        Assert.Equal(4, config.OriginalsStrings().Count);
    }
}
