namespace OrleansConnect.Connect.Config;

/// <summary>A validator from a delegate, with a description for documentation.</summary>
public sealed class LambdaValidator : IValidator
{
    private readonly Action<string, object?> _ensureValid;
    private readonly Func<string> _toString;

    private LambdaValidator(Action<string, object?> ensureValid, Func<string> toString)
    {
        _ensureValid = ensureValid ?? throw new ArgumentNullException(nameof(ensureValid));
        _toString = toString ?? throw new ArgumentNullException(nameof(toString));
    }

    public static LambdaValidator With(Action<string, object?> ensureValid, Func<string> toString) => new(ensureValid, toString);

    public void EnsureValid(string name, object? value) => _ensureValid(name, value);

    public override string ToString() => _toString();
}
