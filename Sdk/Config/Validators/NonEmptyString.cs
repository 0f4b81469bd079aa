namespace OrleansConnect.Connect.Config;

/// <summary>A string value, when set, must not be empty (Kafka's ConfigDef.NonEmptyString).</summary>
public sealed class NonEmptyString : IValidator
{
    public static readonly NonEmptyString Instance = new();

    public void EnsureValid(string name, object? value)
    {
        if (value is string { Length: 0 }) throw new ConfigException(name, value, "String must be non-empty");
    }

    public override string ToString() => "non-empty string";
}
