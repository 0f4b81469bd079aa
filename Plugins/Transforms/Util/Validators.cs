using System.Collections;
using OrleansConnect.Connect.Config;

namespace OrleansConnect.Plugins.Transforms.Util;

/// <summary>A LIST config that must hold at least one entry ("Empty list" otherwise, as Kafka).</summary>
public sealed class NonEmptyListValidator : IValidator
{
    public static readonly NonEmptyListValidator Instance = new();

    public void EnsureValid(string name, object? value)
    {
        if (value is not ICollection { Count: > 0 }) throw new ConfigException("Empty list");
    }

    public override string ToString() => "non-empty list";
}

/// <summary>A STRING config that must compile as a Java regular expression.</summary>
public sealed class RegexValidator : IValidator
{
    public static readonly RegexValidator Instance = new();

    public void EnsureValid(string name, object? value)
    {
        if (value is null) return;
        try
        {
            JavaRegex.Compile((string)value);
        }
        catch (ArgumentException e)
        {
            throw new ConfigException(name, value, "Invalid regex: " + e.Message);
        }
    }

    public override string ToString() => "valid regex";
}
