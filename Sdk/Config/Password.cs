namespace OrleansConnect.Connect.Config;

/// <summary>A secret config value; its text form is always "[hidden]" so it never leaks into logs or the REST API.</summary>
public sealed class Password : IEquatable<Password>
{
    public const string Hidden = "[hidden]";

    public Password(string value) => Value = value ?? throw new ArgumentNullException(nameof(value));

    public string Value { get; }

    public bool Equals(Password? other) => other is not null && Value == other.Value;

    public override bool Equals(object? obj) => Equals(obj as Password);

    public override int GetHashCode() => Value.GetHashCode();

    public override string ToString() => Hidden;
}
