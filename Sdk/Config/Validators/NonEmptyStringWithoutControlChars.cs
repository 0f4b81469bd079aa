using System.Globalization;

namespace OrleansConnect.Connect.Config;

/// <summary>
/// A string value, when set, must be non-empty and free of ISO control characters (used for connector names).
/// Null passes: a missing required value is reported separately.
/// </summary>
public sealed class NonEmptyStringWithoutControlChars : IValidator
{
    public static readonly NonEmptyStringWithoutControlChars Instance = new();

    public void EnsureValid(string name, object? value)
    {
        if (value is not string s) return;
        if (s.Length == 0) throw new ConfigException(name, value, "String may not be empty");
        List<int>? found = null;
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsControl(s[i])) (found ??= []).Add(s[i]);
        }
        if (found is not null)
        {
            throw new ConfigException(name, value,
                "String may not contain control sequences but had the following ASCII chars: " +
                string.Join(", ", found.Select(c => c.ToString(CultureInfo.InvariantCulture))));
        }
    }

    public override string ToString() => "non-empty string without ISO control characters";
}
