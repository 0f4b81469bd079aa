namespace OrleansConnect.Connect.Data;

/// <summary>A named, indexed member of a STRUCT schema.</summary>
public sealed class Field : IEquatable<Field>
{
    public Field(string name, int index, Schema schema)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(schema);
        Name = name;
        Index = index;
        Schema = schema;
    }

    public string Name { get; }

    public int Index { get; }

    public Schema Schema { get; }

    public bool Equals(Field? other) =>
        other is not null && (ReferenceEquals(this, other) ||
            (Index == other.Index && Name == other.Name && Schema.Equals(other.Schema)));

    public override bool Equals(object? obj) => Equals(obj as Field);

    public override int GetHashCode() => HashCode.Combine(Name, Index, Schema);

    public override string ToString() => $"Field{{name={Name}, index={Index}, schema={Schema}}}";
}
