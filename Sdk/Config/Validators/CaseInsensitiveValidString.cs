namespace OrleansConnect.Connect.Config;

/// <summary>The value must be one of the given strings, ignoring case (Kafka's ConfigDef.CaseInsensitiveValidString).</summary>
public sealed class CaseInsensitiveValidString : IValidator
{
    private readonly IReadOnlyList<string> _validStrings;

    private CaseInsensitiveValidString(IReadOnlyList<string> validStrings) => _validStrings = validStrings;

    public static CaseInsensitiveValidString In(params string[] validStrings) =>
        new(validStrings.Select(s => s.ToUpperInvariant()).Distinct().ToList());

    public IReadOnlyList<string> ValidStrings => _validStrings;

    public void EnsureValid(string name, object? value)
    {
        if (value is not string s || !_validStrings.Contains(s.ToUpperInvariant()))
            throw new ConfigException(name, value, "String must be one of (case insensitive): " + string.Join(", ", _validStrings));
    }

    public override string ToString() => "(case insensitive) [" + string.Join(", ", _validStrings) + "]";
}
