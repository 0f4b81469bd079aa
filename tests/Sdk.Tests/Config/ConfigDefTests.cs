using OrleansConnect.Connect.Config;
using Xunit;
using Range = OrleansConnect.Connect.Config.Range;

namespace OrleansConnect.Tests.Config;

public class ConfigDefTests
{
    private static Dictionary<string, string?> Props(params (string Key, string? Value)[] entries) =>
        entries.ToDictionary(e => e.Key, e => e.Value);

    [Theory]
    [InlineData(ConfigType.Boolean, " TRUE ", true)]
    [InlineData(ConfigType.Boolean, "False", false)]
    [InlineData(ConfigType.Int, " 42 ", 42)]
    [InlineData(ConfigType.Int, "-7", -7)]
    [InlineData(ConfigType.Long, "9000000000", 9000000000L)]
    [InlineData(ConfigType.Short, "12", (short)12)]
    [InlineData(ConfigType.Double, " 1.5 ", 1.5)]
    [InlineData(ConfigType.String, "  padded  ", "padded")]
    [InlineData(ConfigType.Class, " com.example.Foo ", "com.example.Foo")]
    public void ParseType_trims_and_converts(ConfigType type, string input, object expected) =>
        Assert.Equal(expected, ConfigDef.ParseType("k", input, type));

    [Fact]
    public void Lists_split_on_commas_and_trim_each_item()
    {
        Assert.Equal(["a", "b", "c"], (List<string>)ConfigDef.ParseType("k", " a , b,c ", ConfigType.List)!);
        Assert.Equal(["a", "", "b"], (List<string>)ConfigDef.ParseType("k", "a,,b", ConfigType.List)!);
        Assert.Empty((List<string>)ConfigDef.ParseType("k", "  ", ConfigType.List)!);
    }

    [Fact]
    public void Passwords_are_masked()
    {
        var password = Assert.IsType<Password>(ConfigDef.ParseType("k", "secret", ConfigType.Password));

        Assert.Equal("secret", password.Value);
        Assert.Equal("[hidden]", password.ToString());
        Assert.Equal("[hidden]", ConfigDef.ConvertToString(password, ConfigType.Password));
        Assert.Equal(new Password("secret"), password);
    }

    [Theory]
    [InlineData(ConfigType.Boolean, "yes", "Invalid value yes for configuration k: Expected value to be either true or false")]
    [InlineData(ConfigType.Int, "1.5", "Invalid value 1.5 for configuration k: Not a number of type INT")]
    [InlineData(ConfigType.Int, "99999999999", "Invalid value 99999999999 for configuration k: Not a number of type INT")]
    [InlineData(ConfigType.Long, "x", "Invalid value x for configuration k: Not a number of type LONG")]
    [InlineData(ConfigType.Double, "abc", "Invalid value abc for configuration k: Not a number of type DOUBLE")]
    public void Bad_values_give_kafka_messages(ConfigType type, string input, string message)
    {
        var e = Assert.Throws<ConfigException>(() => ConfigDef.ParseType("k", input, type));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void ConvertToString_renders_parsed_values()
    {
        Assert.Equal("a,b", ConfigDef.ConvertToString(new List<string> { "a", "b" }, ConfigType.List));
        Assert.Equal("true", ConfigDef.ConvertToString(true, ConfigType.Boolean));
        Assert.Equal("1.0", ConfigDef.ConvertToString(1.0, ConfigType.Double));
        Assert.Equal("5", ConfigDef.ConvertToString(5, ConfigType.Int));
        Assert.Null(ConfigDef.ConvertToString(null, ConfigType.String));
    }

    [Fact]
    public void Parse_applies_defaults_and_rejects_missing_required()
    {
        var def = new ConfigDef()
            .Define("required", ConfigType.String, Importance.High, "doc")
            .Define("withDefault", ConfigType.Int, 5, Importance.Low, "doc")
            .Define("list", ConfigType.List, "x,y", Importance.Low, "doc");

        var parsed = def.Parse(Props(("required", "v")));
        Assert.Equal("v", parsed["required"]);
        Assert.Equal(5, parsed["withDefault"]);
        Assert.Equal(["x", "y"], (List<string>)parsed["list"]!);

        var e = Assert.Throws<ConfigException>(() => def.Parse(Props()));
        Assert.Equal("Missing required configuration \"required\" which has no default value.", e.Message);
    }

    [Fact]
    public void Validators_report_kafka_messages()
    {
        AssertInvalid(Range.AtLeast(1), "k", 0, "Invalid value 0 for configuration k: Value must be at least 1");
        AssertInvalid(Range.Between(1, 10), "k", 11, "Invalid value 11 for configuration k: Value must be no more than 10");
        AssertInvalid(Range.AtLeast(0), "k", null, "Invalid value null for configuration k: Value must be non-null");
        AssertInvalid(ValidString.In("a", "b"), "k", "c", "Invalid value c for configuration k: String must be one of: a, b");
        AssertInvalid(CaseInsensitiveValidString.In("base64", "numeric"), "k", "hex",
            "Invalid value hex for configuration k: String must be one of (case insensitive): BASE64, NUMERIC");
        AssertInvalid(ValidList.In("x", "y"), "k", new List<string> { "x", "z" }, "Invalid value z for configuration k: String must be one of: x, y");
        AssertInvalid(NonEmptyString.Instance, "k", "", "Invalid value  for configuration k: String must be non-empty");
        AssertInvalid(NonEmptyStringWithoutControlChars.Instance, "k", "", "Invalid value  for configuration k: String may not be empty");
        AssertInvalid(NonEmptyStringWithoutControlChars.Instance, "k", "a\nb\r",
            "Invalid value a\nb\r for configuration k: String may not contain control sequences but had the following ASCII chars: 10, 13");
        AssertInvalid(NonNullValidator.Instance, "k", null, "Invalid value null for configuration k: entry must be non null");
        AssertInvalid(CompositeValidator.Of(NonNullValidator.Instance, ValidString.In("a")), "k", "b",
            "Invalid value b for configuration k: String must be one of: a");
        AssertInvalid(LambdaValidator.With((n, v) => throw new ConfigException(n, v, "nope"), () => "lambda"), "k", 1,
            "Invalid value 1 for configuration k: nope");

        CaseInsensitiveValidString.In("BASE64").EnsureValid("k", "base64");
        NonEmptyStringWithoutControlChars.Instance.EnsureValid("k", null);
        Range.Between(1.5, 2.5).EnsureValid("k", 2.0);
    }

    [Fact]
    public void Validators_describe_themselves()
    {
        Assert.Equal("[1,...]", Range.AtLeast(1).ToString());
        Assert.Equal("[1,...,10]", Range.Between(1, 10).ToString());
        Assert.Equal("[a, b]", ValidString.In("a", "b").ToString());
        Assert.Equal("(case insensitive) [A, B]", CaseInsensitiveValidString.In("a", "b").ToString());
        Assert.Equal("non-empty string", NonEmptyString.Instance.ToString());
        Assert.Equal("[a], non-null string", CompositeValidator.Of(ValidString.In("a"), NonNullValidator.Instance).ToString());
        Assert.Equal("lambda", LambdaValidator.With((_, _) => { }, () => "lambda").ToString());
    }

    private static void AssertInvalid(IValidator validator, string name, object? value, string message)
    {
        var e = Assert.Throws<ConfigException>(() => validator.EnsureValid(name, value));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Parse_runs_validators()
    {
        var def = new ConfigDef().Define("n", ConfigType.Int, 1, Range.AtLeast(1), Importance.High, "doc");

        var e = Assert.Throws<ConfigException>(() => def.Parse(Props(("n", "0"))));
        Assert.Equal("Invalid value 0 for configuration n: Value must be at least 1", e.Message);
    }

    [Fact]
    public void Invalid_default_and_duplicate_definitions_are_rejected()
    {
        Assert.Throws<ConfigException>(() => new ConfigDef().Define("n", ConfigType.Int, 0, Range.AtLeast(1), Importance.High, "doc"));
        Assert.Throws<ConfigException>(() => new ConfigDef().Define("n", ConfigType.Int, "x", Importance.High, "doc"));
        var e = Assert.Throws<ConfigException>(() =>
            new ConfigDef().Define("n", ConfigType.Int, 1, Importance.High, "doc").Define("n", ConfigType.Int, 1, Importance.High, "doc"));
        Assert.Equal("Configuration n is defined twice.", e.Message);
    }

    [Fact]
    public void Validate_collects_every_error_and_never_throws()
    {
        var def = new ConfigDef()
            .Define("name", ConfigType.String, ConfigDef.NoDefaultValue, NonEmptyStringWithoutControlChars.Instance, Importance.High, "doc")
            .Define("count", ConfigType.Int, 1, Range.AtLeast(1), Importance.High, "doc")
            .Define("flag", ConfigType.Boolean, false, Importance.Low, "doc")
            .Define("secret", ConfigType.Password, null, Importance.Low, "doc");

        var values = def.Validate(Props(("count", "0"), ("flag", "maybe"), ("secret", "s3"), ("unknown", "x")));

        Assert.Equal(["name", "count", "flag", "secret"], values.Select(v => v.Name));
        Assert.Equal(["Missing required configuration \"name\" which has no default value."], values[0].ErrorMessages);
        Assert.Equal(["Invalid value 0 for configuration count: Value must be at least 1"], values[1].ErrorMessages);
        Assert.Equal(0, values[1].Value);
        Assert.Equal(["Invalid value maybe for configuration flag: Expected value to be either true or false"], values[2].ErrorMessages);
        Assert.Null(values[2].Value);
        Assert.Empty(values[3].ErrorMessages);
        Assert.Equal(new Password("s3"), values[3].Value);
        Assert.All(values, v => Assert.True(v.Visible));
    }

    [Fact]
    public void Validate_applies_recommenders()
    {
        var def = new ConfigDef()
            .Define("mode", ConfigType.String, "a", null, Importance.High, "doc", recommender: new ModeRecommender())
            .Define("other", ConfigType.String, "", Importance.Low, "doc");

        var values = def.Validate(Props(("mode", "b")));

        Assert.Equal(["a", "b"], values[0].RecommendedValues);
        Assert.False(values[0].Visible);
    }

    private sealed class ModeRecommender : IRecommender
    {
        public IReadOnlyList<object> ValidValues(string name, IReadOnlyDictionary<string, object?> parsedConfig) => ["a", "b"];

        public bool Visible(string name, IReadOnlyDictionary<string, object?> parsedConfig) => (string?)parsedConfig["mode"] == "a";
    }

    [Fact]
    public void Groups_keep_first_definition_order_and_keys_their_order()
    {
        var def = new ConfigDef()
            .Define("z", ConfigType.String, "", null, Importance.Low, "doc", "G2", 0)
            .Define("a", ConfigType.String, "", null, Importance.Low, "doc", "G1", 0)
            .Define("m", ConfigType.String, "", null, Importance.Low, "doc", "G2", 1);

        Assert.Equal(["G2", "G1"], def.Groups);
        Assert.Equal(["z", "a", "m"], def.Keys.Select(k => k.Name));
        Assert.True(def.ConfigKeys.ContainsKey("m"));
    }

    [Fact]
    public void ConfigKey_exposes_its_definition()
    {
        var def = new ConfigDef()
            .Define("k", ConfigType.Long, 10L, Range.AtLeast(0), Importance.Medium, "the doc", "grp", 3, Width.Short, "Display", ["dep"])
            .Define("dep", ConfigType.String, Importance.Low, "d");

        var key = def.ConfigKeys["k"];
        Assert.Equal(ConfigType.Long, key.Type);
        Assert.Equal(10L, key.DefaultValue);
        Assert.True(key.HasDefault);
        Assert.False(def.ConfigKeys["dep"].HasDefault);
        Assert.Equal("the doc", key.Documentation);
        Assert.Equal("grp", key.Group);
        Assert.Equal(3, key.OrderInGroup);
        Assert.Equal(Width.Short, key.Width);
        Assert.Equal("Display", key.DisplayName);
        Assert.Equal(["dep"], key.Dependents);
        Assert.Equal("LONG", key.Type.ToConnectName());
        Assert.Equal("MEDIUM", key.Importance.ToConnectName());
        Assert.Equal("SHORT", key.Width.ToConnectName());
    }

    [Fact]
    public void Embed_prefixes_names_and_groups_and_keeps_validators_working()
    {
        var child = new ConfigDef()
            .Define("field", ConfigType.String, ConfigDef.NoDefaultValue, NonEmptyString.Instance, Importance.High, "doc")
            .Define("count", ConfigType.Int, 2, Range.AtLeast(1), Importance.Low, "doc", "Inner", 0, Width.None, "Count");
        var parent = new ConfigDef().Define("name", ConfigType.String, Importance.High, "doc");

        parent.Embed("transforms.t.", "Transforms: t", 5, child);

        var field = parent.ConfigKeys["transforms.t.field"];
        var count = parent.ConfigKeys["transforms.t.count"];
        Assert.Equal("Transforms: t", field.Group);
        Assert.Equal("Transforms: t: Inner", count.Group);
        Assert.Equal(5, field.OrderInGroup);
        Assert.Equal(6, count.OrderInGroup);
        Assert.False(field.HasDefault);
        Assert.Equal(2, count.DefaultValue);

        var values = parent.Validate(Props(("name", "c"), ("transforms.t.field", ""), ("transforms.t.count", "0")));
        Assert.Equal(["Invalid value  for configuration field: String must be non-empty"], values.Single(v => v.Name == "transforms.t.field").ErrorMessages);
        Assert.Equal(["Invalid value 0 for configuration count: Value must be at least 1"], values.Single(v => v.Name == "transforms.t.count").ErrorMessages);
    }

    [Fact]
    public void A_null_value_for_a_present_key_parses_to_null()
    {
        var def = new ConfigDef().Define("s", ConfigType.String, "dflt", Importance.Low, "doc");

        Assert.Null(def.Parse(Props(("s", null)))["s"]);
        Assert.Equal("dflt", def.Parse(Props())["s"]);
    }
}
