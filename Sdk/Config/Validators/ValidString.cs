namespace OrleansConnect.Connect.Config;

/// <summary>The value must be one of the given strings, case-sensitively (Kafka's ConfigDef.ValidString).</summary>
public sealed class ValidString : IValidator
{
    private readonly IReadOnlyList<string> _validStrings;

    private ValidString(IReadOnlyList<string> validStrings) => _validStrings = validStrings;

    public static ValidString In(params string[] validStrings) => new([.. validStrings]);

    public IReadOnlyList<string> ValidStrings => _validStrings;

    public void EnsureValid(string name, object? value)
    {
        if (value is not string s || !_validStrings.Contains(s))
            throw new ConfigException(name, value, "String must be one of: " + string.Join(", ", _validStrings));
    }

    public override string ToString() => "[" + string.Join(", ", _validStrings) + "]";
}
