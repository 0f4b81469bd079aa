namespace OrleansConnect.Connect.Storage;

/// <summary>What a converter instance is used for; the runtime passes it as "converter.type".</summary>
public enum ConverterType
{
    Key,
    Value,
    Header,
}

public static class ConverterTypes
{
    /// <summary>The config value: "key", "value" or "header".</summary>
    public static string ToConfigName(this ConverterType type) => type switch
    {
        ConverterType.Key => "key",
        ConverterType.Value => "value",
        ConverterType.Header => "header",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    public static bool TryParse(string? name, out ConverterType type)
    {
        switch (name?.ToLowerInvariant())
        {
            case "key": type = ConverterType.Key; return true;
            case "value": type = ConverterType.Value; return true;
            case "header": type = ConverterType.Header; return true;
            default: type = default; return false;
        }
    }
}
