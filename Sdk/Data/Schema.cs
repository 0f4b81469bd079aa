using System.Collections;
using OrleansConnect.Connect.Errors;

namespace OrleansConnect.Connect.Data;

/// <summary>
/// An immutable Connect schema (Kafka's ConnectSchema). Build one with <see cref="SchemaBuilder"/> or use the
/// predefined primitives. Equality is by value, fields compared deeply.
/// </summary>
public sealed class Schema : IEquatable<Schema>
{
    public static readonly Schema Int8Schema = new(SchemaType.Int8);
    public static readonly Schema Int16Schema = new(SchemaType.Int16);
    public static readonly Schema Int32Schema = new(SchemaType.Int32);
    public static readonly Schema Int64Schema = new(SchemaType.Int64);
    public static readonly Schema Float32Schema = new(SchemaType.Float32);
    public static readonly Schema Float64Schema = new(SchemaType.Float64);
    public static readonly Schema BooleanSchema = new(SchemaType.Boolean);
    public static readonly Schema StringSchema = new(SchemaType.String);
    public static readonly Schema BytesSchema = new(SchemaType.Bytes);

    public static readonly Schema OptionalInt8Schema = new(SchemaType.Int8, optional: true);
    public static readonly Schema OptionalInt16Schema = new(SchemaType.Int16, optional: true);
    public static readonly Schema OptionalInt32Schema = new(SchemaType.Int32, optional: true);
    public static readonly Schema OptionalInt64Schema = new(SchemaType.Int64, optional: true);
    public static readonly Schema OptionalFloat32Schema = new(SchemaType.Float32, optional: true);
    public static readonly Schema OptionalFloat64Schema = new(SchemaType.Float64, optional: true);
    public static readonly Schema OptionalBooleanSchema = new(SchemaType.Boolean, optional: true);
    public static readonly Schema OptionalStringSchema = new(SchemaType.String, optional: true);
    public static readonly Schema OptionalBytesSchema = new(SchemaType.Bytes, optional: true);

    private readonly IReadOnlyList<Field>? _fields;
    private readonly Dictionary<string, Field>? _fieldsByName;
    private readonly Schema? _keySchema;
    private readonly Schema? _valueSchema;
    private int _hash;

    public Schema(
        SchemaType type,
        bool optional = false,
        object? defaultValue = null,
        string? name = null,
        int? version = null,
        string? doc = null,
        IReadOnlyDictionary<string, string>? parameters = null,
        IReadOnlyList<Field>? fields = null,
        Schema? keySchema = null,
        Schema? valueSchema = null)
    {
        Type = type;
        IsOptional = optional;
        DefaultValue = defaultValue;
        Name = name;
        Version = version;
        Doc = doc;
        Parameters = parameters;
        if (type == SchemaType.Struct)
        {
            _fields = fields ?? [];
            _fieldsByName = new Dictionary<string, Field>(_fields.Count);
            foreach (var field in _fields)
            {
                if (!_fieldsByName.TryAdd(field.Name, field))
                    throw new DataException($"Duplicate field name in struct schema: {field.Name}");
            }
        }
        else if (fields is { Count: > 0 })
        {
            throw new DataException("Cannot specify fields on non-struct schema");
        }

        // A MAP or ARRAY may lack its element schemas, as in Kafka's ConnectSchema: Values.parseString gives such
        // schemas to lists and maps whose elements have no common type (SchemaBuilder.ArrayOfNull and friends).
        if (type == SchemaType.Map)
        {
            _keySchema = keySchema;
            _valueSchema = valueSchema;
        }
        else if (type == SchemaType.Array)
        {
            if (keySchema is not null) throw new DataException("Key schema is only valid for MAP schemas");
            _valueSchema = valueSchema;
        }
        else if (keySchema is not null || valueSchema is not null)
        {
            throw new DataException("Key and value schemas are only valid for MAP and ARRAY schemas");
        }
    }

    public SchemaType Type { get; }

    public bool IsOptional { get; }

    public object? DefaultValue { get; }

    public string? Name { get; }

    public int? Version { get; }

    public string? Doc { get; }

    public IReadOnlyDictionary<string, string>? Parameters { get; }

    /// <summary>The key schema of a MAP; throws when there is none (see <see cref="KeySchemaOrNull"/>).</summary>
    public Schema KeySchema =>
        _keySchema ?? throw new DataException(Type == SchemaType.Map
            ? "This map schema has no key schema: its keys have no common type"
            : $"Cannot look up key schema on non-map type {Type.ToConnectName()}");

    /// <summary>The element (ARRAY) or value (MAP) schema; throws when there is none (see <see cref="ValueSchemaOrNull"/>).</summary>
    public Schema ValueSchema =>
        _valueSchema ?? throw new DataException(Type is SchemaType.Array or SchemaType.Map
            ? $"This {Type.ToConnectName()} schema has no value schema: its values have no common type"
            : $"Cannot look up value schema on non-array and non-map type {Type.ToConnectName()}");

    /// <summary>Kafka's keySchema(): null for a MAP whose keys have no common type, and for any other type.</summary>
    public Schema? KeySchemaOrNull => _keySchema;

    /// <summary>Kafka's valueSchema(): null for an ARRAY or MAP whose values have no common type, and for any other type.</summary>
    public Schema? ValueSchemaOrNull => _valueSchema;

    public IReadOnlyList<Field> Fields =>
        _fields ?? throw new DataException("Cannot list fields on non-struct type");

    /// <summary>The named field, or null when the struct has no such field.</summary>
    public Field? Field(string name)
    {
        if (_fieldsByName is null) throw new DataException("Cannot look up fields on non-struct type");
        return _fieldsByName.GetValueOrDefault(name);
    }

    /// <summary>Checks <paramref name="value"/> against <paramref name="schema"/> (deeply), throwing DataException.</summary>
    public static void ValidateValue(Schema schema, object? value) => ValidateValue(null, schema, value);

    public static void ValidateValue(string? fieldName, Schema schema, object? value)
    {
        ArgumentNullException.ThrowIfNull(schema);
        // A valid primitive needs no location: it names the field only in an error, so it is not built for every
        // value checked (every Put and every field of a record's value, at tens of thousands of records a second).
        if (value is null ? schema.IsOptional : schema.Type is not (SchemaType.Struct or SchemaType.Array or SchemaType.Map) && IsExpectedClass(schema, value))
            return;
        if (value is Struct nested && schema.Type == SchemaType.Struct && IsExpectedClass(schema, value))
        {
            if (!nested.Schema.Equals(schema)) throw new DataException("Struct schemas do not match.");
            nested.Validate();
            return;
        }
        ValidateValue(schema, value, fieldName is null ? "value" : $"field: \"{fieldName}\"");
    }

    private static void ValidateValue(Schema schema, object? value, string location)
    {
        ArgumentNullException.ThrowIfNull(schema);
        if (value is null)
        {
            if (!schema.IsOptional)
                throw new DataException($"Invalid value: null used for required {location}, schema type: {schema.Type.ToConnectName()}");
            return;
        }

        if (!IsExpectedClass(schema, value))
        {
            var name = schema.Name is null ? "" : $" \"{schema.Name}\"";
            throw new DataException(
                $"Invalid Java object for schema{name} with type {schema.Type.ToConnectName()}: class {value.GetType().FullName} for {location}");
        }

        switch (schema.Type)
        {
            case SchemaType.Struct:
                var s = (Struct)value;
                if (!s.Schema.Equals(schema)) throw new DataException("Struct schemas do not match.");
                s.Validate();
                break;
            case SchemaType.Array:
                var entryLocation = "element of array " + location;
                var elementSchema = SchemaDefinedFor(schema._valueSchema, entryLocation);
                foreach (var entry in (IList)value) ValidateValue(elementSchema, entry, entryLocation);
                break;
            case SchemaType.Map:
                var keyLocation = "key of map " + location;
                var valueLocation = "value of map " + location;
                var keySchema = SchemaDefinedFor(schema._keySchema, keyLocation);
                var valueSchema = SchemaDefinedFor(schema._valueSchema, valueLocation);
                foreach (DictionaryEntry entry in (IDictionary)value)
                {
                    ValidateValue(keySchema, entry.Key, keyLocation);
                    ValidateValue(valueSchema, entry.Value, valueLocation);
                }
                break;
        }
    }

    // Kafka's ConnectSchema.assertSchemaNotNull: a value cannot be checked against a missing element schema.
    private static Schema SchemaDefinedFor(Schema? schema, string location) =>
        schema ?? throw new DataException("No schema defined for " + location);

    private static bool IsExpectedClass(Schema schema, object value)
    {
        // A logical type accepts only its own representation, not the underlying primitive (as Kafka).
        switch (schema.Name)
        {
            case ConnectDecimal.LogicalName:
                return value is decimal;
            case Date.LogicalName:
            case Time.LogicalName:
            case Timestamp.LogicalName:
                return value is LogicalTime;
        }

        return schema.Type switch
        {
            SchemaType.Int8 => value is sbyte,
            SchemaType.Int16 => value is short,
            SchemaType.Int32 => value is int,
            SchemaType.Int64 => value is long,
            SchemaType.Float32 => value is float,
            SchemaType.Float64 => value is double,
            SchemaType.Boolean => value is bool,
            SchemaType.String => value is string,
            SchemaType.Bytes => value is byte[],
            SchemaType.Array => value is IList,
            SchemaType.Map => value is IDictionary,
            SchemaType.Struct => value is Struct,
            _ => false,
        };
    }

    public bool Equals(Schema? other)
    {
        if (ReferenceEquals(this, other)) return true;
        if (other is null) return false;
        if (_hash != 0 && other._hash != 0 && _hash != other._hash) return false;
        return Type == other.Type
            && IsOptional == other.IsOptional
            && Version == other.Version
            && Name == other.Name
            && Doc == other.Doc
            && Values.DeepEquals(DefaultValue, other.DefaultValue)
            && FieldsEqual(_fields, other._fields)
            && Equals(_keySchema, other._keySchema)
            && Equals(_valueSchema, other._valueSchema)
            && ParametersEqual(Parameters, other.Parameters);
    }

    private static bool FieldsEqual(IReadOnlyList<Field>? a, IReadOnlyList<Field>? b)
    {
        if (ReferenceEquals(a, b)) return true;
        if (a is null || b is null || a.Count != b.Count) return false;
        for (var i = 0; i < a.Count; i++)
        {
            if (!a[i].Equals(b[i])) return false;
        }
        return true;
    }

    private static bool ParametersEqual(IReadOnlyDictionary<string, string>? a, IReadOnlyDictionary<string, string>? b)
    {
        if (ReferenceEquals(a, b)) return true;
        if (a is null || b is null || a.Count != b.Count) return false;
        foreach (var (key, value) in a)
        {
            if (!b.TryGetValue(key, out var other) || other != value) return false;
        }
        return true;
    }

    public override bool Equals(object? obj) => Equals(obj as Schema);

    public override int GetHashCode()
    {
        // Immutable, so the (deep) hash is computed once.
        if (_hash != 0) return _hash;
        var hash = new HashCode();
        hash.Add(Type);
        hash.Add(IsOptional);
        hash.Add(Name);
        hash.Add(Version);
        hash.Add(Doc);
        hash.Add(Values.DeepHashCode(DefaultValue));
        if (_fields is not null)
        {
            foreach (var field in _fields) hash.Add(field);
        }
        hash.Add(_keySchema);
        hash.Add(_valueSchema);
        if (Parameters is not null)
        {
            var p = 0;
            foreach (var (key, value) in Parameters) p ^= HashCode.Combine(key, value);
            hash.Add(p);
        }
        var result = hash.ToHashCode();
        _hash = result == 0 ? 1 : result;
        return _hash;
    }

    public override string ToString() =>
        Name is not null ? $"Schema{{{Name}:{Type.ToConnectName()}}}" : $"Schema{{{Type.ToConnectName()}}}";
}
