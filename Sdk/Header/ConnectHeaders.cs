using System.Collections;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;

namespace OrleansConnect.Connect.Header;

/// <summary>
/// The ordered, mutable header list of a record. Duplicate keys are allowed; insertion order is kept. Mutators
/// return this instance for chaining.
/// </summary>
public sealed class ConnectHeaders : IEnumerable<Header>, IEquatable<ConnectHeaders>
{
    private readonly List<Header> _headers;

    public ConnectHeaders() => _headers = [];

    public ConnectHeaders(IEnumerable<Header> headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        _headers = [.. headers];
    }

    public int Count => _headers.Count;

    public bool IsEmpty => _headers.Count == 0;

    public ConnectHeaders Add(Header header)
    {
        ArgumentNullException.ThrowIfNull(header);
        _headers.Add(header);
        return this;
    }

    /// <summary>Adds the header after checking the value fits the schema (a null value needs an optional schema).</summary>
    public ConnectHeaders Add(string key, SchemaAndValue schemaAndValue)
    {
        CheckSchemaMatches(schemaAndValue.Schema, schemaAndValue.Value);
        return Add(new Header(key, schemaAndValue.Schema, schemaAndValue.Value));
    }

    public ConnectHeaders Add(string key, object? value, Schema? schema) => Add(key, new SchemaAndValue(schema, value));

    public ConnectHeaders AddString(string key, string? value) =>
        Add(key, value, value is null ? Schema.OptionalStringSchema : Schema.StringSchema);

    public ConnectHeaders AddBoolean(string key, bool value) => Add(key, value, Schema.BooleanSchema);

    public ConnectHeaders AddByte(string key, sbyte value) => Add(key, value, Schema.Int8Schema);

    public ConnectHeaders AddShort(string key, short value) => Add(key, value, Schema.Int16Schema);

    public ConnectHeaders AddInt32(string key, int value) => Add(key, value, Schema.Int32Schema);

    public ConnectHeaders AddInt64(string key, long value) => Add(key, value, Schema.Int64Schema);

    public ConnectHeaders AddFloat32(string key, float value) => Add(key, value, Schema.Float32Schema);

    public ConnectHeaders AddFloat64(string key, double value) => Add(key, value, Schema.Float64Schema);

    public ConnectHeaders AddBytes(string key, byte[]? value) =>
        Add(key, value, value is null ? Schema.OptionalBytesSchema : Schema.BytesSchema);

    public ConnectHeaders AddList(string key, IList? value, Schema schema) => Add(key, value, schema);

    public ConnectHeaders AddMap(string key, IDictionary? value, Schema schema) => Add(key, value, schema);

    public ConnectHeaders AddStruct(string key, Struct value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return Add(key, value, value.Schema);
    }

    public ConnectHeaders AddDecimal(string key, decimal value) => Add(key, value, ConnectDecimal.Schema(value.Scale));

    public ConnectHeaders AddDate(string key, LogicalTime value) => Add(key, value, Date.Schema());

    public ConnectHeaders AddTime(string key, LogicalTime value) => Add(key, value, Time.Schema());

    public ConnectHeaders AddTimestamp(string key, LogicalTime value) => Add(key, value, Timestamp.Schema());

    public ConnectHeaders AddAll(IEnumerable<Header> headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        foreach (var header in headers) Add(header);
        return this;
    }

    /// <summary>The last header with this key, or null.</summary>
    public Header? LastWithName(string key)
    {
        for (var i = _headers.Count - 1; i >= 0; i--)
        {
            if (_headers[i].Key == key) return _headers[i];
        }
        return null;
    }

    public IEnumerable<Header> AllWithName(string key) => _headers.Where(h => h.Key == key).ToList();

    /// <summary>Removes every header with this key.</summary>
    public ConnectHeaders Remove(string key)
    {
        _headers.RemoveAll(h => h.Key == key);
        return this;
    }

    /// <summary>Keeps only the headers matching <paramref name="keep"/>.</summary>
    public ConnectHeaders Retain(Predicate<Header> keep)
    {
        ArgumentNullException.ThrowIfNull(keep);
        _headers.RemoveAll(h => !keep(h));
        return this;
    }

    /// <summary>Keeps only the last header of each key (positions of the kept ones unchanged).</summary>
    public ConnectHeaders RetainLatest()
    {
        var seen = new HashSet<string>();
        for (var i = _headers.Count - 1; i >= 0; i--)
        {
            if (!seen.Add(_headers[i].Key)) _headers.RemoveAt(i);
        }
        return this;
    }

    /// <summary>Keeps only the last header with this key.</summary>
    public ConnectHeaders RetainLatest(string key)
    {
        var found = false;
        for (var i = _headers.Count - 1; i >= 0; i--)
        {
            if (_headers[i].Key != key) continue;
            if (found) _headers.RemoveAt(i); else found = true;
        }
        return this;
    }

    /// <summary>Replaces each header by the result of <paramref name="transform"/>; a null result removes it.</summary>
    public ConnectHeaders Apply(Func<Header, Header?> transform)
    {
        ArgumentNullException.ThrowIfNull(transform);
        for (var i = _headers.Count - 1; i >= 0; i--)
        {
            var result = transform(_headers[i]);
            if (result is null) _headers.RemoveAt(i); else _headers[i] = result;
        }
        return this;
    }

    public ConnectHeaders Clear()
    {
        _headers.Clear();
        return this;
    }

    /// <summary>A copy with the same headers (headers are immutable, so a shallow copy suffices).</summary>
    public ConnectHeaders Duplicate() => new(_headers);

    public IEnumerator<Header> GetEnumerator() => _headers.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public bool Equals(ConnectHeaders? other) =>
        other is not null && (ReferenceEquals(this, other) || _headers.SequenceEqual(other._headers));

    public override bool Equals(object? obj) => Equals(obj as ConnectHeaders);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var header in _headers) hash.Add(header);
        return hash.ToHashCode();
    }

    public override string ToString() => "ConnectHeaders(headers=" + string.Join(", ", _headers) + ")";

    /// <summary>Kafka's ConnectHeaders.checkSchemaMatches: a null value needs an optional schema, and a value must be of
    /// the schema's type. Only the top level is checked, so a list or map whose element schema is missing (parsed
    /// from text with elements of no common type) can be a header.</summary>
    private static void CheckSchemaMatches(Schema? schema, object? value)
    {
        if (schema is null) return;
        if (value is null)
        {
            if (!schema.IsOptional) throw new DataException($"A null value requires an optional schema but was {schema}");
            return;
        }
        var matches = schema.Type switch
        {
            SchemaType.Bytes => value is byte[] || (value is decimal && schema.Name == ConnectDecimal.LogicalName),
            SchemaType.String => value is string,
            SchemaType.Boolean => value is bool,
            SchemaType.Int8 => value is sbyte,
            SchemaType.Int16 => value is short,
            SchemaType.Int32 => value is int || (value is LogicalTime && schema.Name is Date.LogicalName or Time.LogicalName),
            SchemaType.Int64 => value is long || (value is LogicalTime && schema.Name == Timestamp.LogicalName),
            SchemaType.Float32 => value is float,
            SchemaType.Float64 => value is double,
            SchemaType.Array => value is IList,
            SchemaType.Map => value is IDictionary,
            SchemaType.Struct => value is Struct,
            _ => false,
        };
        if (!matches) throw new DataException($"The value {Values.ToJavaString(value)} is not compatible with the schema {schema}");
    }
}
