using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Storage;

namespace OrleansConnect.Plugins.Json;

/// <summary>How JsonConverter writes Decimal values.</summary>
public enum DecimalFormat
{
    /// <summary>Base64 text of the unscaled two's complement bytes (Kafka's default).</summary>
    Base64,

    /// <summary>A JSON number keeping the value's scale.</summary>
    Numeric,
}

/// <summary>The configs of <see cref="JsonConverter"/>, with Kafka's keys and defaults.</summary>
public sealed class JsonConverterConfig : ConverterConfig
{
    public const string SchemasEnableConfig = "schemas.enable";
    public const bool SchemasEnableDefault = true;
    public const string SchemasCacheSizeConfig = "schemas.cache.size";
    public const int SchemasCacheSizeDefault = 1000;
    public const string DecimalFormatConfig = "decimal.format";
    public const string DecimalFormatDefault = "BASE64";
    public const string ReplaceNullWithDefaultConfig = "replace.null.with.default";
    public const bool ReplaceNullWithDefaultDefault = true;

    private const string SchemasGroup = "Schemas";
    private const string SerializationGroup = "Serialization";

    public JsonConverterConfig(IReadOnlyDictionary<string, string?> props) : base(NewJsonConfigDef(), props)
    {
        SchemasEnabled = GetBoolean(SchemasEnableConfig);
        SchemaCacheSize = GetInt(SchemasCacheSizeConfig);
        DecimalFormat = string.Equals(GetString(DecimalFormatConfig), "NUMERIC", StringComparison.OrdinalIgnoreCase)
            ? DecimalFormat.Numeric
            : DecimalFormat.Base64;
        ReplaceNullWithDefault = GetBoolean(ReplaceNullWithDefaultConfig);
    }

    public bool SchemasEnabled { get; }

    public int SchemaCacheSize { get; }

    public DecimalFormat DecimalFormat { get; }

    public bool ReplaceNullWithDefault { get; }

    /// <summary>A fresh definition (callers may extend or embed it).</summary>
    public static ConfigDef NewJsonConfigDef()
    {
        var def = NewConfigDef();
        var order = 0;
        def.Define(SchemasEnableConfig, ConfigType.Boolean, SchemasEnableDefault, null, Importance.High,
            "Whether the JSON carries the Connect schema: an envelope {\"schema\":...,\"payload\":...} when true, the bare value when false.",
            SchemasGroup, order++, Width.Medium, "Enable Schemas");
        def.Define(SchemasCacheSizeConfig, ConfigType.Int, SchemasCacheSizeDefault, null, Importance.High,
            "How many schemas to keep converted in each direction.",
            SchemasGroup, order++, Width.Medium, "Schema Cache Size");
        order = 0;
        def.Define(DecimalFormatConfig, ConfigType.String, DecimalFormatDefault,
            CaseInsensitiveValidString.In("BASE64", "NUMERIC"), Importance.Low,
            "How Decimal values are written: BASE64 (base64 of the unscaled bytes) or NUMERIC (a JSON number). Both are read.",
            SerializationGroup, order++, Width.Medium, "Decimal Format");
        def.Define(ReplaceNullWithDefaultConfig, ConfigType.Boolean, ReplaceNullWithDefaultDefault, null, Importance.Low,
            "Whether a null value with a schema default is replaced by that default, when reading and when writing.",
            SerializationGroup, order++, Width.Medium, "Replace null with default");
        return def;
    }
}
