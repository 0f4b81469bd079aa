namespace OrleansConnect.Connect.Config;

/// <summary>The type of a config value; every value arrives as a string and is parsed to this type.</summary>
public enum ConfigType
{
    Boolean,
    String,
    Int,
    Short,
    Long,
    Double,
    List,
    Class,
    Password,
}

/// <summary>How important a config is to set (Kafka's ConfigDef.Importance).</summary>
public enum Importance
{
    High,
    Medium,
    Low,
}

/// <summary>The width a UI should give a config's input (Kafka's ConfigDef.Width).</summary>
public enum Width
{
    None,
    Short,
    Medium,
    Long,
}

/// <summary>Kafka's upper-case names of the config enums, as they appear in the REST API.</summary>
public static class ConfigEnumNames
{
    public static string ToConnectName(this ConfigType type) => type switch
    {
        ConfigType.Boolean => "BOOLEAN",
        ConfigType.String => "STRING",
        ConfigType.Int => "INT",
        ConfigType.Short => "SHORT",
        ConfigType.Long => "LONG",
        ConfigType.Double => "DOUBLE",
        ConfigType.List => "LIST",
        ConfigType.Class => "CLASS",
        ConfigType.Password => "PASSWORD",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    public static string ToConnectName(this Importance importance) => importance switch
    {
        Importance.High => "HIGH",
        Importance.Medium => "MEDIUM",
        Importance.Low => "LOW",
        _ => throw new ArgumentOutOfRangeException(nameof(importance), importance, null),
    };

    public static string ToConnectName(this Width width) => width switch
    {
        Width.None => "NONE",
        Width.Short => "SHORT",
        Width.Medium => "MEDIUM",
        Width.Long => "LONG",
        _ => throw new ArgumentOutOfRangeException(nameof(width), width, null),
    };
}
