namespace OrleansConnect.Connect.Config;

/// <summary>Checks a parsed config value; throws <see cref="ConfigException"/> when it is invalid.</summary>
public interface IValidator
{
    void EnsureValid(string name, object? value);
}

/// <summary>Suggests valid values and visibility of a config from the other parsed configs (used by validation).</summary>
public interface IRecommender
{
    IReadOnlyList<object> ValidValues(string name, IReadOnlyDictionary<string, object?> parsedConfig);

    bool Visible(string name, IReadOnlyDictionary<string, object?> parsedConfig);
}
