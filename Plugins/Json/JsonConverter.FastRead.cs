using System.Globalization;
using System.Text;
using System.Text.Json;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;

namespace OrleansConnect.Plugins.Json;

// ToConnectData's fast path for the common envelope: {"schema": <a struct schema seen before>, "payload": {...}}.
// The general path builds a JsonDocument of the whole message (the inline schema is most of it) and hashes the schema's
// text to find its parsed Schema. Here one forward pass of a Utf8JsonReader finds the two members, the schema's text is
// compared with the last one seen (a memory compare), and the payload is read straight into the Struct. Anything this
// path does not handle exactly as the general one (another shape, a value of an unexpected JSON type, an error of any
// kind) makes it give up without a side effect: the general path then converts the message, or throws its error.
public sealed partial class JsonConverter
{
    /// <summary>The last schema text seen and what it parsed to; replaced whole, so readers need no lock.</summary>
    private sealed class FastSchema(byte[] raw, Schema schema)
    {
        public byte[] Raw { get; } = raw;
        public Schema Schema { get; } = schema;
        public StructPlan? Plan { get; } = StructPlan.For(schema);
    }

    /// <summary>A struct schema's fields with their names in UTF-8, for matching property names without decoding them.</summary>
    private sealed class StructPlan
    {
        private StructPlan(Schema schema, Field[] fields, byte[][] names, StructPlan?[] nested)
        {
            Schema = schema;
            Fields = fields;
            Names = names;
            Nested = nested;
        }

        public Schema Schema { get; }
        public Field[] Fields { get; }
        public byte[][] Names { get; }
        public StructPlan?[] Nested { get; }

        /// <summary>Null when the schema is not a struct, or holds a type the fast path leaves to the general one.</summary>
        public static StructPlan? For(Schema schema)
        {
            if (schema.Type != SchemaType.Struct) return null;
            var fields = schema.Fields.ToArray();
            var names = new byte[fields.Length][];
            var nested = new StructPlan?[fields.Length];
            for (var i = 0; i < fields.Length; i++)
            {
                names[i] = Encoding.UTF8.GetBytes(fields[i].Name);
                var fieldSchema = fields[i].Schema;
                if (fieldSchema.Type == SchemaType.Struct)
                {
                    if ((nested[i] = For(fieldSchema)) is null) return null;
                }
                else if (!Handled(fieldSchema)) return null;
            }
            return new StructPlan(schema, fields, names, nested);
        }

        private static bool Handled(Schema schema) =>
            schema.Name switch
            {
                ConnectDecimal.LogicalName => false,
                Date.LogicalName or Time.LogicalName => schema.Type == SchemaType.Int32,
                Timestamp.LogicalName => schema.Type == SchemaType.Int64,
                _ => schema.Type is SchemaType.Boolean or SchemaType.Int8 or SchemaType.Int16 or SchemaType.Int32 or SchemaType.Int64
                    or SchemaType.Float32 or SchemaType.Float64 or SchemaType.String or SchemaType.Bytes,
            };
    }

    private volatile FastSchema? _fastSchema;

    /// <summary>The envelope converted without a JsonDocument, or false (nothing changed) for the general path.</summary>
    private bool TryToConnectDataFast(byte[] value, out SchemaAndValue result)
    {
        result = default;
        try
        {
            if (TryKnownEnvelope(value, out result)) return true;
            var reader = new Utf8JsonReader(value, new JsonReaderOptions { MaxDepth = ReaderOptions.MaxDepth });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
            int schemaStart = -1, schemaEnd = -1, payloadStart = -1;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isSchema = reader.ValueTextEquals("schema"u8);
                if (!isSchema && !reader.ValueTextEquals("payload"u8)) return false;
                reader.Read();
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                if (isSchema)
                {
                    schemaStart = start;
                    schemaEnd = (int)reader.BytesConsumed;
                }
                else
                {
                    payloadStart = start;
                }
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read()) return false;
            if (schemaStart < 0 || payloadStart < 0) return false;

            var raw = value.AsSpan(schemaStart, schemaEnd - schemaStart);
            var known = _fastSchema;
            if (known is null || !raw.SequenceEqual(known.Raw))
            {
                if (raw[0] != (byte)'{') return false;
                using var schemaDocument = JsonDocument.Parse(value.AsMemory(schemaStart, schemaEnd - schemaStart), ReaderOptions);
                var parsed = AsConnectSchema(schemaDocument.RootElement);
                if (parsed is null) return false;
                _fastSchema = known = new FastSchema(raw.ToArray(), parsed);
            }
            if (known.Plan is not { } plan) return false;

            var payload = new Utf8JsonReader(value.AsSpan(payloadStart), new JsonReaderOptions { MaxDepth = ReaderOptions.MaxDepth });
            payload.Read();
            if (payload.TokenType == JsonTokenType.Null)
            {
                // Null (or default) for the whole value: the general path's rules, cheap enough to leave to it.
                return false;
            }
            if (!TryReadStruct(ref payload, plan, out var structValue)) return false;
            result = new SchemaAndValue(known.Schema, structValue);
            return true;
        }
        catch (Exception e) when (e is JsonException or DataException or FormatException or InvalidOperationException or OverflowException)
        {
            return false;
        }
    }

    private static ReadOnlySpan<byte> SchemaMember => "{\"schema\":"u8;
    private static ReadOnlySpan<byte> PayloadMember => ",\"payload\":"u8;

    /// <summary>The envelope as JsonConverter writes it, byte for byte the last schema seen: {"schema":&lt;that
    /// text&gt;,"payload":...}. The schema's text is compared, not read again (a complete JSON value, so a text that
    /// starts with it holds exactly it there).</summary>
    private bool TryKnownEnvelope(byte[] value, out SchemaAndValue result)
    {
        result = default;
        var known = _fastSchema;
        if (known?.Plan is not { } plan) return false;
        var span = value.AsSpan();
        var payloadStart = SchemaMember.Length + known.Raw.Length + PayloadMember.Length;
        if (span.Length <= payloadStart || !span.StartsWith(SchemaMember) || !span[SchemaMember.Length..].StartsWith(known.Raw)
            || !span[(SchemaMember.Length + known.Raw.Length)..].StartsWith(PayloadMember))
            return false;
        var reader = new Utf8JsonReader(span[payloadStart..], new JsonReaderOptions { MaxDepth = ReaderOptions.MaxDepth });
        if (!reader.Read() || !TryReadStruct(ref reader, plan, out var structValue)) return false;
        // After the payload only the envelope's closing brace, and white space.
        var rest = span[(payloadStart + (int)reader.BytesConsumed)..].Trim(" \t\r\n"u8);
        if (rest.Length != 1 || rest[0] != (byte)'}') return false;
        result = new SchemaAndValue(known.Schema, structValue);
        return true;
    }

    /// <summary>Reads the object the reader is on into a Struct: the general path's ToConnect for each field,
    /// unknown members skipped.</summary>
    private bool TryReadStruct(ref Utf8JsonReader reader, StructPlan plan, out Struct? result)
    {
        result = null;
        if (reader.TokenType != JsonTokenType.StartObject) return false;
        var fields = plan.Fields;
        var value = new Struct(plan.Schema);
        Span<bool> seen = fields.Length <= 256 ? stackalloc bool[fields.Length] : new bool[fields.Length];
        var next = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            // Members mostly come in schema order: try the next field first, then all of them.
            var index = -1;
            if (next < fields.Length && reader.ValueTextEquals(plan.Names[next])) index = next;
            else
            {
                for (var i = 0; i < fields.Length; i++)
                {
                    if (!reader.ValueTextEquals(plan.Names[i])) continue;
                    index = i;
                    break;
                }
            }
            reader.Read();
            if (index < 0)
            {
                reader.Skip();
                continue;
            }
            // A member given twice: which one counts is the general path's business.
            if (seen[index]) return false;
            seen[index] = true;
            next = index + 1;
            object? fieldValue;
            if (plan.Nested[index] is { } nested && reader.TokenType != JsonTokenType.Null)
            {
                if (!TryReadStruct(ref reader, nested, out var inner)) return false;
                fieldValue = inner;
            }
            else if (!TryReadValue(ref reader, fields[index].Schema, out fieldValue)) return false;
            if (fieldValue is not null) value.Put(fields[index], fieldValue);
        }
        if (reader.TokenType != JsonTokenType.EndObject) return false;
        for (var i = 0; i < fields.Length; i++)
        {
            if (seen[i]) continue;
            // An absent member reads as null does.
            if (!TryNull(fields[i].Schema, out var fieldValue)) return false;
            if (fieldValue is not null) value.Put(fields[i], fieldValue);
        }
        result = value;
        return true;
    }

    private bool TryNull(Schema schema, out object? value)
    {
        value = null;
        if (schema.DefaultValue is not null && _replaceNullWithDefault)
        {
            value = schema.DefaultValue;
            return true;
        }
        return schema.IsOptional;
    }

    /// <summary>One primitive or logical value, as the general path's ToConnect reads it; false for any JSON type that
    /// path would read otherwise (coercions, errors).</summary>
    private bool TryReadValue(ref Utf8JsonReader reader, Schema schema, out object? value)
    {
        value = null;
        var token = reader.TokenType;
        if (token == JsonTokenType.Null) return TryNull(schema, out value);
        switch (schema.Name)
        {
            case Date.LogicalName:
                if (token != JsonTokenType.Number || !reader.TryGetInt32(out var days)) return false;
                value = Date.ToLogical(schema, days);
                return true;
            case Time.LogicalName:
                if (token != JsonTokenType.Number || !reader.TryGetInt32(out var millis)) return false;
                value = Time.ToLogical(schema, millis);
                return true;
            case Timestamp.LogicalName:
                if (token != JsonTokenType.Number || !reader.TryGetInt64(out var epochMillis)) return false;
                value = Timestamp.ToLogical(schema, epochMillis);
                return true;
        }
        switch (schema.Type)
        {
            case SchemaType.Boolean:
                if (token is not (JsonTokenType.True or JsonTokenType.False)) return false;
                value = token == JsonTokenType.True;
                return true;
            case SchemaType.Int8 or SchemaType.Int16 or SchemaType.Int32 or SchemaType.Int64:
                // Integral text only: a fraction or exponent takes the general path's truncation.
                if (token != JsonTokenType.Number || !reader.TryGetInt64(out var number)) return false;
                value = schema.Type switch
                {
                    SchemaType.Int8 => unchecked((sbyte)number),
                    SchemaType.Int16 => unchecked((short)number),
                    SchemaType.Int32 => unchecked((int)number),
                    _ => (object)number,
                };
                return true;
            case SchemaType.Float32:
                if (token != JsonTokenType.Number) return false;
                value = float.Parse(reader.ValueSpan, NumberStyles.Float, CultureInfo.InvariantCulture);
                return true;
            case SchemaType.Float64:
                if (token != JsonTokenType.Number) return false;
                value = double.Parse(reader.ValueSpan, NumberStyles.Float, CultureInfo.InvariantCulture);
                return true;
            case SchemaType.String:
                if (token != JsonTokenType.String) return false;
                value = reader.GetString();
                return true;
            case SchemaType.Bytes:
                if (token != JsonTokenType.String || !reader.TryGetBytesFromBase64(out var bytes)) return false;
                value = bytes;
                return true;
            default:
                return false;
        }
    }
}
