using OrleansConnect.Connect.Data;

namespace OrleansConnect.Connect.Header;

/// <summary>One record header: a key with a Connect value and its (optional) schema.</summary>
public sealed record Header(string Key, Schema? Schema, object? Value)
{
    public string Key { get; init; } = Key ?? throw new ArgumentNullException(nameof(Key), "Null header keys are not permitted");

    /// <summary>The same value and schema under another key.</summary>
    public Header Rename(string key) => this with { Key = key ?? throw new ArgumentNullException(nameof(key)) };

    /// <summary>The same key with another value and schema.</summary>
    public Header With(Schema? schema, object? value) => new(Key, schema, value);

    public bool Equals(Header? other) =>
        other is not null && Key == other.Key && Equals(Schema, other.Schema) && Values.DeepEquals(Value, other.Value);

    public override int GetHashCode() => HashCode.Combine(Key, Schema, Values.DeepHashCode(Value));

    public override string ToString() => $"ConnectHeader(key={Key}, value={Values.ToJavaString(Value)}, schema={Schema?.ToString() ?? "null"})";
}
