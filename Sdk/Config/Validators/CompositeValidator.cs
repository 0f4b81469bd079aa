namespace OrleansConnect.Connect.Config;

/// <summary>Runs several validators in order; the first failure wins.</summary>
public sealed class CompositeValidator : IValidator
{
    private readonly IReadOnlyList<IValidator> _validators;

    private CompositeValidator(IReadOnlyList<IValidator> validators) => _validators = validators;

    public static CompositeValidator Of(params IValidator[] validators) => new([.. validators]);

    public void EnsureValid(string name, object? value)
    {
        foreach (var validator in _validators) validator.EnsureValid(name, value);
    }

    public override string ToString() => string.Join(", ", _validators);
}
