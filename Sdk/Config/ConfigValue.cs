using OrleansConnect.Connect.Data;

namespace OrleansConnect.Connect.Config;

/// <summary>The outcome of validating one config: its parsed value, recommended values, errors and visibility.</summary>
public sealed class ConfigValue
{
    public ConfigValue(string name) : this(name, null, [], []) { }

    public ConfigValue(string name, object? value, List<object> recommendedValues, List<string> errorMessages)
    {
        Name = name ?? throw new ArgumentNullException(nameof(name));
        Value = value;
        RecommendedValues = recommendedValues ?? [];
        ErrorMessages = errorMessages ?? [];
    }

    public string Name { get; }

    public object? Value { get; set; }

    public List<object> RecommendedValues { get; set; }

    public List<string> ErrorMessages { get; set; }

    public bool Visible { get; set; } = true;

    public void AddErrorMessage(string errorMessage) => ErrorMessages.Add(errorMessage);

    public override string ToString() =>
        $"[{Name},{Values.ToJavaString(Value)},{Values.ToJavaString(RecommendedValues)},{Values.ToJavaString(ErrorMessages)},{(Visible ? "true" : "false")}]";
}
