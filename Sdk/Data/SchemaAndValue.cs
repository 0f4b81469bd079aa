namespace OrleansConnect.Connect.Data;

/// <summary>A value with the schema that describes it (either may be null).</summary>
public readonly record struct SchemaAndValue(Schema? Schema, object? Value)
{
    public static readonly SchemaAndValue Null = new(null, null);

    public bool Equals(SchemaAndValue other) =>
        Equals(Schema, other.Schema) && Values.DeepEquals(Value, other.Value);

    public override int GetHashCode() => HashCode.Combine(Schema, Values.DeepHashCode(Value));

    public override string ToString() => $"SchemaAndValue{{schema={Schema?.ToString() ?? "null"}, value={Values.ToJavaString(Value)}}}";
}
