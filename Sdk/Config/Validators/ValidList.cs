using System.Collections;

namespace OrleansConnect.Connect.Config;

/// <summary>Every element of a LIST value must be one of the given strings (Kafka's ConfigDef.ValidList).</summary>
public sealed class ValidList : IValidator
{
    private readonly ValidString _validString;

    private ValidList(ValidString validString) => _validString = validString;

    public static ValidList In(params string[] validStrings) => new(ValidString.In(validStrings));

    public void EnsureValid(string name, object? value)
    {
        if (value is null) return;
        if (value is not IEnumerable items || value is string)
            throw new ConfigException(name, value, "Expected a comma separated list.");
        foreach (var item in items) _validString.EnsureValid(name, item);
    }

    public override string ToString() => _validString.ToString();
}
