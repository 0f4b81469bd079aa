using System.Collections;
using System.Text;
using OrleansConnect.Connect.Errors;

namespace OrleansConnect.Connect.Data;

/// <summary>
/// A structured record value: one slot per field of its STRUCT schema. Put validates each value against its field's
/// schema; Validate checks the whole struct (required fields set).
/// </summary>
public sealed class Struct : IEquatable<Struct>
{
    private readonly object?[] _values;

    public Struct(Schema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        if (schema.Type != SchemaType.Struct) throw new DataException($"Not a struct schema: {schema}");
        Schema = schema;
        _values = new object?[schema.Fields.Count];
    }

    public Schema Schema { get; }

    public Struct Put(string fieldName, object? value) => Put(LookupField(fieldName), value);

    public Struct Put(Field field, object? value)
    {
        if (field is null) throw new DataException("field cannot be null.");
        CheckOwnField(field);
        Schema.ValidateValue(field.Name, field.Schema, value);
        _values[field.Index] = value;
        return this;
    }

    /// <summary>The field's value, or the field schema's default when unset.</summary>
    public object? Get(string fieldName) => Get(LookupField(fieldName));

    public object? Get(Field field)
    {
        if (field is null) throw new DataException("field cannot be null.");
        CheckOwnField(field);
        return _values[field.Index] ?? field.Schema.DefaultValue;
    }

    /// <summary>The value as set, ignoring the field default.</summary>
    public object? GetWithoutDefault(string fieldName) => _values[LookupField(fieldName).Index];

    public object? GetWithoutDefault(Field field)
    {
        if (field is null) throw new DataException("field cannot be null.");
        CheckOwnField(field);
        return _values[field.Index];
    }

    // Typed getters return the value as set (no default), like Kafka's, after checking the field's type.
    public sbyte? GetInt8(string fieldName) => (sbyte?)GetCheckType(fieldName, SchemaType.Int8);
    public short? GetInt16(string fieldName) => (short?)GetCheckType(fieldName, SchemaType.Int16);
    public int? GetInt32(string fieldName) => (int?)GetCheckType(fieldName, SchemaType.Int32);
    public long? GetInt64(string fieldName) => (long?)GetCheckType(fieldName, SchemaType.Int64);
    public float? GetFloat32(string fieldName) => (float?)GetCheckType(fieldName, SchemaType.Float32);
    public double? GetFloat64(string fieldName) => (double?)GetCheckType(fieldName, SchemaType.Float64);
    public bool? GetBoolean(string fieldName) => (bool?)GetCheckType(fieldName, SchemaType.Boolean);
    public string? GetString(string fieldName) => (string?)GetCheckType(fieldName, SchemaType.String);

    public byte[]? GetBytes(string fieldName) => GetCheckType(fieldName, SchemaType.Bytes) switch
    {
        null => null,
        byte[] bytes => bytes,
        var other => throw new DataException($"Field '{fieldName}' holds a {other.GetType().FullName}, not bytes"),
    };

    public IList? GetArray(string fieldName) => (IList?)GetCheckType(fieldName, SchemaType.Array);
    public IDictionary? GetMap(string fieldName) => (IDictionary?)GetCheckType(fieldName, SchemaType.Map);
    public Struct? GetStruct(string fieldName) => (Struct?)GetCheckType(fieldName, SchemaType.Struct);

    /// <summary>Checks every field: set values valid, required fields without a default set.</summary>
    public void Validate()
    {
        foreach (var field in Schema.Fields)
        {
            var fieldSchema = field.Schema;
            var value = _values[field.Index];
            if (value is null && (fieldSchema.IsOptional || fieldSchema.DefaultValue is not null)) continue;
            Schema.ValidateValue(field.Name, fieldSchema, value);
        }
    }

    private object? GetCheckType(string fieldName, SchemaType type)
    {
        var field = LookupField(fieldName);
        if (field.Schema.Type != type) throw new DataException($"Field '{fieldName}' is not of type {type.ToConnectName()}");
        return _values[field.Index];
    }

    private Field LookupField(string fieldName)
    {
        ArgumentNullException.ThrowIfNull(fieldName);
        return Schema.Field(fieldName) ?? throw new DataException($"{fieldName} is not a valid field name");
    }

    private void CheckOwnField(Field field)
    {
        var fields = Schema.Fields;
        if (field.Index < 0 || field.Index >= fields.Count ||
            !(ReferenceEquals(fields[field.Index], field) || fields[field.Index].Equals(field)))
            throw new DataException($"{field} is not a valid field name");
    }

    public bool Equals(Struct? other)
    {
        if (ReferenceEquals(this, other)) return true;
        if (other is null || !Schema.Equals(other.Schema)) return false;
        for (var i = 0; i < _values.Length; i++)
        {
            if (!Values.DeepEquals(_values[i], other._values[i])) return false;
        }
        return true;
    }

    public override bool Equals(object? obj) => Equals(obj as Struct);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Schema);
        foreach (var value in _values) hash.Add(Values.DeepHashCode(value));
        return hash.ToHashCode();
    }

    /// <summary>Kafka's form: Struct{a=1,b=x}, unset fields left out.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder("Struct{");
        var first = true;
        foreach (var field in Schema.Fields)
        {
            var value = _values[field.Index];
            if (value is null) continue;
            if (!first) sb.Append(',');
            sb.Append(field.Name).Append('=');
            JavaValueText.Append(sb, value);
            first = false;
        }
        return sb.Append('}').ToString();
    }
}
