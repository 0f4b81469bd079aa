using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Connect.Sink;

namespace OrleansConnect.Plugins.Jdbc;

/// <summary>A column the sink writes: its name, the Connect schema its values have, and whether it is part of the key.</summary>
public sealed record SinkField(string Name, Schema Schema, bool IsPrimaryKey)
{
    public bool IsOptional => !IsPrimaryKey && Schema.IsOptional;
}

/// <summary>Which columns a record shape (key schema, value schema) writes to a table, and where each value comes
/// from: Confluent's FieldsMetadata rules for pk.mode, pk.fields and fields.whitelist.</summary>
public sealed class SinkFields
{
    private enum Source { KafkaTopic, KafkaPartition, KafkaOffset, PrimitiveKey, KeyField, ValueField }

    private readonly List<(SinkField Field, Source Source)> _keys = [];
    private readonly List<(SinkField Field, Source Source)> _nonKeys = [];

    public IReadOnlyList<SinkField> KeyFields { get; private set; } = [];
    public IReadOnlyList<SinkField> NonKeyFields { get; private set; } = [];

    /// <summary>Every column in the order a created table has them: Kafka coordinates, value fields, then key fields not in the value.</summary>
    public IReadOnlyList<SinkField> AllFields { get; private set; } = [];

    public static SinkFields Extract(string table, PrimaryKeyMode pkMode, IReadOnlyList<string> configuredPk, IReadOnlySet<string> whitelist,
        Schema? keySchema, Schema? valueSchema)
    {
        if (valueSchema is not null && valueSchema.Type != SchemaType.Struct)
            throw new ConnectException("Value schema must be of type Struct");
        var result = new SinkFields();
        switch (pkMode)
        {
            case PrimaryKeyMode.None:
                break;
            case PrimaryKeyMode.Kafka:
            {
                var names = configuredPk.Count == 0 ? JdbcSinkConfig.DefaultKafkaPkNames : configuredPk;
                if (names.Count != 3)
                    throw new ConnectException($"PK mode for table '{table}' is KAFKA so there should either be no field names defined for defaults " +
                        $"[{string.Join(", ", JdbcSinkConfig.DefaultKafkaPkNames)}] to be applicable, or exactly 3, defined fields are: [{string.Join(", ", configuredPk)}]");
                result._keys.Add((new SinkField(names[0], Schema.StringSchema, true), Source.KafkaTopic));
                result._keys.Add((new SinkField(names[1], Schema.Int32Schema, true), Source.KafkaPartition));
                result._keys.Add((new SinkField(names[2], Schema.Int64Schema, true), Source.KafkaOffset));
                break;
            }
            case PrimaryKeyMode.RecordKey:
                if (keySchema is null)
                    throw new ConnectException($"PK mode for table '{table}' is RECORD_KEY, but record key schema is missing");
                if (keySchema.Type == SchemaType.Struct)
                {
                    var names = configuredPk.Count == 0 ? keySchema.Fields.Select(f => f.Name).ToList() : configuredPk;
                    foreach (var name in names)
                    {
                        var field = keySchema.Field(name)
                            ?? throw new ConnectException($"PK mode for table '{table}' is RECORD_KEY with configured PK fields [{string.Join(", ", configuredPk)}], " +
                                $"but record key schema does not contain field: {name}");
                        result._keys.Add((new SinkField(name, field.Schema, true), Source.KeyField));
                    }
                }
                else if (IsPrimitive(keySchema.Type))
                {
                    if (configuredPk.Count != 1)
                        throw new ConnectException("Need exactly one PK column defined since the key schema for records is a primitive type, " +
                            $"defined columns are: [{string.Join(", ", configuredPk)}]");
                    result._keys.Add((new SinkField(configuredPk[0], keySchema, true), Source.PrimitiveKey));
                }
                else
                {
                    throw new ConnectException($"Key schema must be primitive type or Struct, but is of type: {keySchema.Type.ToConnectName()}");
                }
                break;
            case PrimaryKeyMode.RecordValue:
                if (valueSchema is null)
                    throw new ConnectException($"PK mode for table '{table}' is RECORD_VALUE, but record value schema is missing");
                foreach (var name in configuredPk.Count == 0 ? valueSchema.Fields.Select(f => f.Name).ToList() : configuredPk)
                {
                    var field = valueSchema.Field(name)
                        ?? throw new ConnectException($"PK mode for table '{table}' is RECORD_VALUE with configured PK fields [{string.Join(", ", configuredPk)}], " +
                            $"but record value schema does not contain field: {name}");
                    result._keys.Add((new SinkField(name, field.Schema, true), Source.ValueField));
                }
                break;
        }
        var keyNames = result._keys.Select(k => k.Field.Name).ToHashSet(StringComparer.Ordinal);
        if (valueSchema is not null)
        {
            foreach (var field in valueSchema.Fields)
            {
                if (keyNames.Contains(field.Name)) continue;
                if (whitelist.Count > 0 && !whitelist.Contains(field.Name)) continue;
                result._nonKeys.Add((new SinkField(field.Name, field.Schema, false), Source.ValueField));
            }
        }
        if (result._keys.Count == 0 && result._nonKeys.Count == 0)
            throw new ConnectException("No fields found using key and value schemas for table: " + table);

        var ordered = new List<SinkField>();
        var all = result._keys.Concat(result._nonKeys).Select(k => k.Field).ToDictionary(f => f.Name, StringComparer.Ordinal);
        foreach (var name in JdbcSinkConfig.DefaultKafkaPkNames)
            if (all.Remove(name, out var f)) ordered.Add(f);
        foreach (var field in valueSchema?.Fields ?? [])
            if (all.Remove(field.Name, out var f)) ordered.Add(f);
        ordered.AddRange(all.Values);
        result.AllFields = ordered;
        result.KeyFields = result._keys.Select(k => k.Field).ToList();
        result.NonKeyFields = result._nonKeys.Select(k => k.Field).ToList();
        result._structFields = new (Schema?, Field)[result._keys.Count + result._nonKeys.Count];
        return result;
    }

    /// <summary>The key columns' values of a record.</summary>
    public object?[] KeyValues(SinkRecord record)
    {
        var values = new object?[_keys.Count];
        for (var i = 0; i < values.Length; i++) values[i] = ValueOf(record, i);
        return values;
    }

    /// <summary>The non-key columns' values of a record.</summary>
    public object?[] NonKeyValues(SinkRecord record)
    {
        var values = new object?[_nonKeys.Count];
        for (var i = 0; i < values.Length; i++) values[i] = ValueOf(record, _keys.Count + i);
        return values;
    }

    /// <summary>The value of column <paramref name="column"/> (key columns first, then the others) of a record.</summary>
    public object? ValueOf(SinkRecord record, int column)
    {
        var (field, source) = column < _keys.Count ? _keys[column] : _nonKeys[column - _keys.Count];
        switch (source)
        {
            case Source.KafkaTopic: return record.Topic;
            case Source.KafkaPartition: return record.KafkaPartition;
            case Source.KafkaOffset: return record.KafkaOffset;
            case Source.PrimitiveKey: return record.Key;
        }
        var value = (Struct)(source == Source.KeyField ? record.Key : record.Value)!;
        // Records of one shape share their schema: the field is looked up by name once per schema met.
        var cache = _structFields[column];
        if (!ReferenceEquals(cache.Schema, value.Schema))
            _structFields[column] = cache = (value.Schema, value.Schema.Field(field.Name) ?? throw new DataException($"{field.Name} is not a valid field name"));
        return value.Get(cache.Field);
    }

    private (Schema? Schema, Field Field)[] _structFields = [];

    private static bool IsPrimitive(SchemaType type) => type is not (SchemaType.Struct or SchemaType.Array or SchemaType.Map);
}
