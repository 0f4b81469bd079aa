namespace OrleansConnect.Connect.Config;

/// <summary>The value must not be null (Kafka's ConfigDef.NonNullValidator).</summary>
public sealed class NonNullValidator : IValidator
{
    public static readonly NonNullValidator Instance = new();

    public void EnsureValid(string name, object? value)
    {
        if (value is null) throw new ConfigException(name, null, "entry must be non null");
    }

    public override string ToString() => "non-null string";
}
