using OrleansConnect.Connect.Errors;

namespace OrleansConnect.Connect.Data;

/// <summary>
/// Fluent builder of <see cref="Schema"/>. As in Kafka, each member may be set once: setting it again to a
/// different value throws <see cref="SchemaBuilderException"/>. Members copied by <see cref="From"/> may be
/// overridden once, so SMTs can copy a schema and then change its name or optionality.
/// </summary>
public sealed class SchemaBuilder
{
    private readonly Dictionary<string, Field>? _fields;
    private readonly List<Field>? _fieldList;
    private Dictionary<string, string>? _parameters;
    private Schema? _keySchema;
    private Schema? _valueSchema;

    private bool? _optional;
    private object? _defaultValue;
    private string? _name;
    private int? _version;
    private string? _doc;

    // Members set by the caller (as opposed to copied by From) and so locked against a different value.
    private bool _optionalSet, _defaultSet, _nameSet, _versionSet, _docSet;

    private SchemaBuilder(SchemaType type)
    {
        SchemaType = type;
        if (type == SchemaType.Struct)
        {
            _fields = new Dictionary<string, Field>();
            _fieldList = [];
        }
    }

    public static SchemaBuilder Int8() => new(SchemaType.Int8);
    public static SchemaBuilder Int16() => new(SchemaType.Int16);
    public static SchemaBuilder Int32() => new(SchemaType.Int32);
    public static SchemaBuilder Int64() => new(SchemaType.Int64);
    public static SchemaBuilder Float32() => new(SchemaType.Float32);
    public static SchemaBuilder Float64() => new(SchemaType.Float64);
    public static SchemaBuilder Bool() => new(SchemaType.Boolean);
    public static SchemaBuilder String() => new(SchemaType.String);
    public static SchemaBuilder Bytes() => new(SchemaType.Bytes);
    public static SchemaBuilder Struct() => new(SchemaType.Struct);

    public static SchemaBuilder Array(Schema valueSchema)
    {
        if (valueSchema is null) throw new SchemaBuilderException("valueSchema cannot be null.");
        return new SchemaBuilder(SchemaType.Array) { _valueSchema = valueSchema };
    }

    public static SchemaBuilder Map(Schema keySchema, Schema valueSchema)
    {
        if (keySchema is null) throw new SchemaBuilderException("keySchema cannot be null.");
        if (valueSchema is null) throw new SchemaBuilderException("valueSchema cannot be null.");
        return new SchemaBuilder(SchemaType.Map) { _keySchema = keySchema, _valueSchema = valueSchema };
    }

    /// <summary>An ARRAY without an element schema: what Kafka's Values parser gives a list whose elements have no
    /// common type (or are all null, or none). Such a schema cannot validate a value (ValidateValue throws).</summary>
    public static SchemaBuilder ArrayOfNull() => new(SchemaType.Array);

    /// <summary>A MAP without key and value schemas (Kafka's Values parser, for keys of no common type).</summary>
    public static SchemaBuilder MapOfNull() => new(SchemaType.Map);

    /// <summary>A MAP with a key schema but no value schema (Kafka's Values parser, for values of no common type).</summary>
    public static SchemaBuilder MapWithNullValues(Schema keySchema)
    {
        if (keySchema is null) throw new SchemaBuilderException("keySchema cannot be null.");
        return new SchemaBuilder(SchemaType.Map) { _keySchema = keySchema };
    }

    /// <summary>A builder of the given type. ARRAY and MAP need their element schemas: use Array()/Map() for those.</summary>
    public static SchemaBuilder Type(SchemaType type)
    {
        if (type is SchemaType.Array or SchemaType.Map)
            throw new SchemaBuilderException($"Use SchemaBuilder.{(type == SchemaType.Array ? "Array" : "Map")}(...) to build a {type.ToConnectName()} schema");
        return new SchemaBuilder(type);
    }

    /// <summary>
    /// A builder holding every member of <paramref name="schema"/> (fields, element schemas, metadata, default).
    /// Copied members can each be overridden once.
    /// </summary>
    public static SchemaBuilder From(Schema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var builder = new SchemaBuilder(schema.Type);
        if (schema.Type == SchemaType.Array) builder._valueSchema = schema.ValueSchemaOrNull;
        if (schema.Type == SchemaType.Map)
        {
            builder._keySchema = schema.KeySchemaOrNull;
            builder._valueSchema = schema.ValueSchemaOrNull;
        }
        if (schema.Type == SchemaType.Struct)
        {
            foreach (var field in schema.Fields) builder.Field(field.Name, field.Schema);
        }
        CopySchemaBasics(schema, builder);
        builder._optional = schema.IsOptional;
        builder._defaultValue = schema.DefaultValue;
        return builder;
    }

    /// <summary>Copies name, version, doc and parameters (Kafka's SchemaUtil.copySchemaBasics); copied members stay overridable.</summary>
    public static SchemaBuilder CopySchemaBasics(Schema source, SchemaBuilder target)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        if (!target._nameSet) target._name = source.Name;
        if (!target._versionSet) target._version = source.Version;
        if (!target._docSet) target._doc = source.Doc;
        if (source.Parameters is { Count: > 0 }) target.Parameters(source.Parameters);
        return target;
    }

    /// <summary>The type being built (a property named Type would clash with the static factory Type(SchemaType)).</summary>
    public SchemaType SchemaType { get; }

    public bool IsOptional => _optional ?? false;

    public object? Default => _defaultValue;

    public string? SchemaName => _name;

    public int? SchemaVersion => _version;

    public string? SchemaDoc => _doc;

    public IReadOnlyDictionary<string, string>? SchemaParameters => _parameters;

    public IReadOnlyList<Field> Fields =>
        _fieldList ?? throw new DataException("Cannot list fields on non-struct type");

    public Schema KeySchema =>
        _keySchema ?? throw new DataException($"Cannot look up key schema on non-map type {SchemaType.ToConnectName()}");

    public Schema ValueSchema =>
        _valueSchema ?? throw new DataException($"Cannot look up value schema on non-array and non-map type {SchemaType.ToConnectName()}");

    /// <summary>The named field added so far, or null.</summary>
    public Field? Field(string name)
    {
        if (_fields is null) throw new DataException("Cannot look up fields on non-struct type");
        return _fields.GetValueOrDefault(name);
    }

    public SchemaBuilder Optional()
    {
        CheckCanSet("optional", _optionalSet, _optional, true);
        _optional = true;
        _optionalSet = true;
        return this;
    }

    public SchemaBuilder Required()
    {
        CheckCanSet("optional", _optionalSet, _optional, false);
        _optional = false;
        _optionalSet = true;
        return this;
    }

    /// <summary>Sets the default; it must be valid for this schema (logical types included).</summary>
    public SchemaBuilder DefaultValue(object? value)
    {
        CheckCanSet("default", _defaultSet, _defaultValue, value);
        try
        {
            Schema.ValidateValue(BuildWithoutDefault(), value);
        }
        catch (DataException e)
        {
            throw new SchemaBuilderException("Invalid default value", e);
        }
        _defaultValue = value;
        _defaultSet = true;
        return this;
    }

    public SchemaBuilder Name(string name)
    {
        CheckCanSet("name", _nameSet, _name, name);
        _name = name;
        _nameSet = true;
        return this;
    }

    public SchemaBuilder Version(int version)
    {
        CheckCanSet("version", _versionSet, _version, version);
        _version = version;
        _versionSet = true;
        return this;
    }

    public SchemaBuilder Doc(string doc)
    {
        CheckCanSet("doc", _docSet, _doc, doc);
        _doc = doc;
        _docSet = true;
        return this;
    }

    /// <summary>Sets one parameter; parameters keep insertion order (it shows in the JSON schema).</summary>
    public SchemaBuilder Parameter(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(value);
        _parameters ??= new Dictionary<string, string>();
        _parameters[name] = value;
        return this;
    }

    public SchemaBuilder Parameters(IDictionary<string, string> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        foreach (var (key, value) in parameters) Parameter(key, value);
        return this;
    }

    public SchemaBuilder Parameters(IReadOnlyDictionary<string, string> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        foreach (var (key, value) in parameters) Parameter(key, value);
        return this;
    }

    public SchemaBuilder Parameters(Dictionary<string, string> parameters) =>
        Parameters((IDictionary<string, string>)parameters);

    public SchemaBuilder Field(string name, Schema schema)
    {
        if (_fields is null || _fieldList is null) throw new SchemaBuilderException($"Cannot create fields on type {SchemaType.ToConnectName()}");
        if (string.IsNullOrEmpty(name)) throw new SchemaBuilderException("fieldName cannot be null.");
        if (schema is null) throw new SchemaBuilderException($"fieldSchema for field {name} cannot be null.");
        if (_fields.ContainsKey(name)) throw new SchemaBuilderException($"Cannot create field because of field name duplication {name}");
        var field = new Field(name, _fieldList.Count, schema);
        _fields.Add(name, field);
        _fieldList.Add(field);
        return this;
    }

    public SchemaBuilder Field(string name, SchemaBuilder schema) => Field(name, schema.Build());

    public Schema Build() => new(
        SchemaType,
        IsOptional,
        _defaultValue,
        _name,
        _version,
        _doc,
        _parameters is null ? null : new Dictionary<string, string>(_parameters),
        _fieldList is null ? null : _fieldList.ToArray(),
        _keySchema,
        _valueSchema);

    /// <summary>The schema as built so far without its default (used to check a default against).</summary>
    private Schema BuildWithoutDefault() => new(
        SchemaType, IsOptional, null, _name, _version, _doc, _parameters, _fieldList?.ToArray(), _keySchema, _valueSchema);

    private static void CheckCanSet<T>(string member, bool alreadySet, T current, T value)
    {
        if (alreadySet && !Values.DeepEquals(current, value))
            throw new SchemaBuilderException($"Invalid SchemaBuilder call: {member} has already been set.");
    }

    public static implicit operator Schema(SchemaBuilder builder) => builder.Build();

    public override string ToString() => $"SchemaBuilder{{{_name}:{SchemaType.ToConnectName()}}}";
}
