namespace OrleansConnect.Connect.Storage;

using OrleansConnect.Connect.Config;

/// <summary>The config every converter shares: "converter.type", set by the runtime.</summary>
public class ConverterConfig : AbstractConfig
{
    public const string TypeConfig = "converter.type";
    private const string TypeDoc = "How this converter will be used.";

    public ConverterConfig(ConfigDef definition, IReadOnlyDictionary<string, string?> props) : base(definition, props)
    {
    }

    /// <summary>A ConfigDef holding only "converter.type" (required; key, value or header), for converters to extend.</summary>
    public static ConfigDef NewConfigDef() =>
        new ConfigDef().Define(TypeConfig, ConfigType.String, ConfigDef.NoDefaultValue,
            ValidString.In(ConverterType.Key.ToConfigName(), ConverterType.Value.ToConfigName(), ConverterType.Header.ToConfigName()),
            Importance.Low, TypeDoc);

    public ConverterType Type =>
        ConverterTypes.TryParse(GetString(TypeConfig), out var type) ? type : ConverterType.Value;

    /// <summary>A copy of <paramref name="configs"/> with "converter.type" set (what Configure(configs, isKey) parses).</summary>
    public static Dictionary<string, string?> WithType(IReadOnlyDictionary<string, string?> configs, ConverterType type)
    {
        ArgumentNullException.ThrowIfNull(configs);
        return new Dictionary<string, string?>(configs) { [TypeConfig] = type.ToConfigName() };
    }
}
