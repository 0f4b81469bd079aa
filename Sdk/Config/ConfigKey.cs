namespace OrleansConnect.Connect.Config;

/// <summary>The definition of one config: type, default, validator, documentation and UI metadata.</summary>
public sealed class ConfigKey
{
    private readonly object? _defaultValue;

    public ConfigKey(
        string name,
        ConfigType type,
        object? defaultValue,
        IValidator? validator,
        Importance importance,
        string? documentation,
        string? group,
        int orderInGroup,
        Width width,
        string? displayName,
        IReadOnlyList<string>? dependents,
        IRecommender? recommender,
        bool internalConfig)
    {
        Name = name ?? throw new ArgumentNullException(nameof(name));
        Type = type;
        HasDefault = !ReferenceEquals(defaultValue, ConfigDef.NoDefaultValue);
        _defaultValue = HasDefault ? defaultValue : null;
        Validator = validator;
        Importance = importance;
        Documentation = documentation;
        Group = group;
        OrderInGroup = orderInGroup;
        Width = width;
        DisplayName = displayName ?? name;
        Dependents = dependents ?? [];
        Recommender = recommender;
        InternalConfig = internalConfig;
        // A default must satisfy the key's own validator (as Kafka checks at definition time).
        if (validator is not null && HasDefault) validator.EnsureValid(name, _defaultValue);
    }

    public string Name { get; }

    public ConfigType Type { get; }

    public string? Documentation { get; }

    /// <summary>The parsed default; null when there is none (check <see cref="HasDefault"/>).</summary>
    public object? DefaultValue => _defaultValue;

    /// <summary>False for required configs (defined with <see cref="ConfigDef.NoDefaultValue"/>).</summary>
    public bool HasDefault { get; }

    public IValidator? Validator { get; }

    public Importance Importance { get; }

    public string? Group { get; }

    /// <summary>Position in its group, -1 if none.</summary>
    public int OrderInGroup { get; }

    public Width Width { get; }

    public string DisplayName { get; }

    public IReadOnlyList<string> Dependents { get; }

    public IRecommender? Recommender { get; }

    public bool InternalConfig { get; }

    public override string ToString() => $"ConfigKey{{name={Name}, type={Type.ToConnectName()}}}";
}
