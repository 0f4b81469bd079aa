using System.Buffers;
using System.Collections;
using System.Collections.Concurrent;
using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Data;
using OrleansConnect.Connect.Errors;
using OrleansConnect.Connect.Header;
using OrleansConnect.Connect.Plugins;
using OrleansConnect.Connect.Storage;

namespace OrleansConnect.Plugins.Json;

/// <summary>
/// Kafka's JsonConverter: Connect data to and from JSON, as an envelope {"schema":...,"payload":...} with
/// schemas.enable=true, or bare schemaless JSON otherwise. Output matches Kafka's member order and number forms.
/// Also a header converter.
/// </summary>
[PluginName("org.apache.kafka.connect.json.JsonConverter")]
public sealed partial class JsonConverter : IConverter, IHeaderConverter, IVersioned
{
    private const string EnvelopeSchema = "schema";
    private const string EnvelopePayload = "payload";

    private const string EnvelopeError =
        "JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields and may not contain additional fields." +
        " If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration.";

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Like Jackson: no HTML escaping and non-ASCII written as UTF-8.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    private static readonly JsonDocumentOptions ReaderOptions = new() { MaxDepth = 1000 };

    // One buffer and writer per thread: every converted record reuses them instead of allocating.
    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] private static Utf8JsonWriter? t_writer;

    private bool _schemasEnabled = JsonConverterConfig.SchemasEnableDefault;
    private bool _replaceNullWithDefault = JsonConverterConfig.ReplaceNullWithDefaultDefault;
    private DecimalFormat _decimalFormat = DecimalFormat.Base64;
    private int _cacheSize = JsonConverterConfig.SchemasCacheSizeDefault;

    private readonly ConcurrentDictionary<Schema, byte[]> _fromConnectSchemaCache = new();
    private readonly Dictionary<byte[], Schema?> _toConnectSchemaCache = new(RawJsonComparer.Instance);

    public ConfigDef Config => JsonConverterConfig.NewJsonConfigDef();

    public string Version => AppInfo.KafkaVersion;

    public bool SchemasEnabled => _schemasEnabled;

    public void Configure(IReadOnlyDictionary<string, string?> configs, bool isKey) =>
        Apply(new JsonConverterConfig(ConverterConfig.WithType(configs, isKey ? ConverterType.Key : ConverterType.Value)));

    /// <summary>Configures from configs that carry "converter.type" (a header converter if they do not).</summary>
    public void Configure(IReadOnlyDictionary<string, string?> configs)
    {
        ArgumentNullException.ThrowIfNull(configs);
        Apply(new JsonConverterConfig(configs.ContainsKey(ConverterConfig.TypeConfig)
            ? configs
            : ConverterConfig.WithType(configs, ConverterType.Header)));
    }

    private void Apply(JsonConverterConfig config)
    {
        _schemasEnabled = config.SchemasEnabled;
        _replaceNullWithDefault = config.ReplaceNullWithDefault;
        _decimalFormat = config.DecimalFormat;
        _cacheSize = Math.Max(1, config.SchemaCacheSize);
        _fromConnectSchemaCache.Clear();
        lock (_toConnectSchemaCache) _toConnectSchemaCache.Clear();
        _fastSchema = null;
    }

    public byte[]? FromConnectHeader(string? topic, string headerKey, Schema? schema, object? value) =>
        FromConnectData(topic, null, schema, value);

    public SchemaAndValue ToConnectHeader(string? topic, string headerKey, byte[]? value) =>
        ToConnectData(topic, null, value);

    public byte[]? FromConnectData(string? topic, ConnectHeaders? headers, Schema? schema, object? value)
    {
        // Kafka writes a tombstone for (no schema, null), even with schemas enabled.
        if (schema is null && value is null) return null;

        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(512);
        buffer.ResetWrittenCount();
        var writer = t_writer;
        if (writer is null) t_writer = writer = new Utf8JsonWriter(buffer, WriterOptions);
        else writer.Reset(buffer);
        try
        {
            if (_schemasEnabled)
            {
                writer.WriteStartObject();
                writer.WritePropertyName(EnvelopeSchema);
                if (schema is null) writer.WriteNullValue();
                else writer.WriteRawValue(JsonSchemaBytes(schema), skipInputValidation: true);
                writer.WritePropertyName(EnvelopePayload);
                WriteValue(writer, schema, value);
                writer.WriteEndObject();
            }
            else
            {
                WriteValue(writer, schema, value);
            }
            writer.Flush();
            return buffer.WrittenSpan.ToArray();
        }
        finally
        {
            writer.Reset();
            // Do not keep a huge buffer alive after an unusually large record.
            if (buffer.Capacity > 1 << 20) t_buffer = null;
        }
    }

    public SchemaAndValue ToConnectData(string? topic, ConnectHeaders? headers, byte[]? value)
    {
        if (value is null) return SchemaAndValue.Null;
        if (value.Length == 0)
        {
            if (_schemasEnabled) throw new DataException(EnvelopeError);
            return SchemaAndValue.Null;
        }

        if (_schemasEnabled && TryToConnectDataFast(value, out var fast)) return fast;
        using var document = Parse(value);
        var root = document.RootElement;
        if (!_schemasEnabled) return new SchemaAndValue(null, ToConnect(null, root));

        if (!TryGetEnvelope(root, out var schemaElement, out var payloadElement)) throw new DataException(EnvelopeError);
        var schema = AsConnectSchema(schemaElement);
        return new SchemaAndValue(schema, ToConnect(schema, payloadElement));
    }

    private static JsonDocument Parse(byte[] value)
    {
        try
        {
            return JsonDocument.Parse(value, ReaderOptions);
        }
        catch (JsonException e)
        {
            // Kafka's parser accepts numbers with leading zeros (000123); System.Text.Json does not.
            if (LeadingZeros.TryStrip(value, out var stripped))
            {
                try
                {
                    return JsonDocument.Parse(stripped, ReaderOptions);
                }
                catch (JsonException)
                {
                    // Report the original error below.
                }
            }
            throw new DataException("Converting byte[] to Kafka Connect data failed due to serialization error: " + e.Message, e);
        }
    }

    private static bool TryGetEnvelope(JsonElement root, out JsonElement schema, out JsonElement payload)
    {
        schema = default;
        payload = default;
        if (root.ValueKind != JsonValueKind.Object) return false;
        bool hasSchema = false, hasPayload = false;
        foreach (var property in root.EnumerateObject())
        {
            if (property.NameEquals(EnvelopeSchema))
            {
                schema = property.Value;
                hasSchema = true;
            }
            else if (property.NameEquals(EnvelopePayload))
            {
                payload = property.Value;
                hasPayload = true;
            }
            else
            {
                return false;
            }
        }
        return hasSchema && hasPayload;
    }

    // ---------------------------------------------------------------- writing

    private void WriteValue(Utf8JsonWriter writer, Schema? schema, object? value)
    {
        if (value is null)
        {
            if (schema is null)
            {
                writer.WriteNullValue();
                return;
            }
            if (schema.DefaultValue is not null && _replaceNullWithDefault)
            {
                WriteValue(writer, schema, schema.DefaultValue);
                return;
            }
            if (schema.IsOptional)
            {
                writer.WriteNullValue();
                return;
            }
            throw new DataException("Conversion error: null value for field that is required and has no default value");
        }

        if (schema?.Name is { } logicalName && WriteLogical(writer, schema, logicalName, value)) return;

        var type = schema?.Type ?? SchemalessType(value)
            ?? throw new DataException($"Java class {ClassName(value)} does not have corresponding schema type.");
        switch (type)
        {
            case SchemaType.Int8 when value is sbyte b:
                writer.WriteNumberValue(b);
                return;
            case SchemaType.Int16 when value is short s:
                writer.WriteNumberValue(s);
                return;
            case SchemaType.Int32 when value is int i:
                writer.WriteNumberValue(i);
                return;
            case SchemaType.Int64 when value is long l:
                writer.WriteNumberValue(l);
                return;
            case SchemaType.Float32 when value is float f:
                if (float.IsFinite(f)) writer.WriteRawValue(Values.FormatFloat(f), skipInputValidation: true);
                else writer.WriteStringValue(Values.FormatFloat(f)); // Jackson quotes NaN and infinities
                return;
            case SchemaType.Float64 when value is double d:
                if (double.IsFinite(d)) writer.WriteRawValue(Values.FormatDouble(d), skipInputValidation: true);
                else writer.WriteStringValue(Values.FormatDouble(d));
                return;
            case SchemaType.Boolean when value is bool flag:
                writer.WriteBooleanValue(flag);
                return;
            case SchemaType.String when value is string text:
                writer.WriteStringValue(text);
                return;
            case SchemaType.Bytes:
                switch (value)
                {
                    case byte[] bytes:
                        writer.WriteBase64StringValue(bytes);
                        return;
                    case ArraySegment<byte> segment:
                        writer.WriteBase64StringValue(segment);
                        return;
                    case ReadOnlyMemory<byte> memory:
                        writer.WriteBase64StringValue(memory.Span);
                        return;
                    case Memory<byte> memory:
                        writer.WriteBase64StringValue(memory.Span);
                        return;
                }
                throw new DataException($"Invalid type for bytes type: {ClassName(value)}");
            case SchemaType.Array when value is IEnumerable items && value is not string:
                // An array parsed from text may lack its element schema: its elements are then written schemaless (as Kafka).
                var elementSchema = schema?.ValueSchemaOrNull;
                writer.WriteStartArray();
                foreach (var item in items) WriteValue(writer, elementSchema, item);
                writer.WriteEndArray();
                return;
            case SchemaType.Map when TryEnumerateMap(value, out var entries, out var allStringKeys):
                WriteMap(writer, schema, entries, allStringKeys);
                return;
            case SchemaType.Struct when value is Struct structValue:
                if (schema is null || !structValue.Schema.Equals(schema)) throw new DataException("Mismatching schema.");
                writer.WriteStartObject();
                foreach (var field in schema.Fields)
                {
                    writer.WritePropertyName(field.Name);
                    WriteValue(writer, field.Schema, structValue.GetWithoutDefault(field));
                }
                writer.WriteEndObject();
                return;
        }
        throw new DataException($"Invalid type for {(schema is null ? "unknown schema" : schema.Type.ToConnectName())}: {ClassName(value)}");
    }

    private void WriteMap(Utf8JsonWriter writer, Schema? schema, List<KeyValuePair<object, object?>> entries, bool allStringKeys)
    {
        // A map without a key schema fails on KeySchema, as Kafka's converter fails on a null key schema; a missing
        // value schema writes the values schemaless.
        var keySchema = schema?.KeySchema;
        var valueSchema = schema?.ValueSchemaOrNull;
        // String keys make a JSON object; any other key type an array of [key, value] pairs (as Kafka).
        var objectMode = schema is null ? allStringKeys : keySchema!.Type == SchemaType.String;
        if (objectMode)
        {
            writer.WriteStartObject();
            foreach (var (key, value) in entries)
            {
                if (key is not string name)
                    throw new DataException($"Invalid type for STRING: {ClassName(key)}");
                writer.WritePropertyName(name);
                WriteValue(writer, valueSchema, value);
            }
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteStartArray();
            foreach (var (key, value) in entries)
            {
                writer.WriteStartArray();
                WriteValue(writer, keySchema, key);
                WriteValue(writer, valueSchema, value);
                writer.WriteEndArray();
            }
            writer.WriteEndArray();
        }
    }

    private static bool TryEnumerateMap(object value, out List<KeyValuePair<object, object?>> entries, out bool allStringKeys)
    {
        allStringKeys = true;
        switch (value)
        {
            case IDictionary dictionary:
                entries = new List<KeyValuePair<object, object?>>(dictionary.Count);
                foreach (DictionaryEntry entry in dictionary)
                {
                    allStringKeys &= entry.Key is string;
                    entries.Add(new KeyValuePair<object, object?>(entry.Key, entry.Value));
                }
                return true;
            case IEnumerable<KeyValuePair<string, object?>> stringMap:
                entries = [];
                foreach (var (key, v) in stringMap) entries.Add(new KeyValuePair<object, object?>(key, v));
                return true;
            default:
                entries = [];
                return false;
        }
    }

    private static SchemaType? SchemalessType(object value) =>
        Values.SchemaTypeFor(value) ?? value switch
        {
            IEnumerable<KeyValuePair<string, object?>> => SchemaType.Map,
            ArraySegment<byte> or ReadOnlyMemory<byte> or Memory<byte> => SchemaType.Bytes,
            IEnumerable and not string => SchemaType.Array,
            _ => null,
        };

    private bool WriteLogical(Utf8JsonWriter writer, Schema schema, string logicalName, object value)
    {
        switch (logicalName)
        {
            case ConnectDecimal.LogicalName:
                if (value is not decimal m)
                    throw new DataException($"Invalid type for Decimal, expected BigDecimal but was {ClassName(value)}");
                if (_decimalFormat == DecimalFormat.Numeric)
                    writer.WriteRawValue(Values.FormatDecimal(m), skipInputValidation: true);
                else
                    writer.WriteBase64StringValue(ConnectDecimal.FromLogical(schema, m));
                return true;
            case Date.LogicalName:
                if (value is not LogicalTime date)
                    throw new DataException($"Invalid type for Date, expected Date but was {ClassName(value)}");
                writer.WriteNumberValue(Date.FromLogical(schema, date));
                return true;
            case Time.LogicalName:
                if (value is not LogicalTime time)
                    throw new DataException($"Invalid type for Time, expected Date but was {ClassName(value)}");
                writer.WriteNumberValue(Time.FromLogical(schema, time));
                return true;
            case Timestamp.LogicalName:
                if (value is not LogicalTime timestamp)
                    throw new DataException($"Invalid type for Timestamp, expected Date but was {ClassName(value)}");
                writer.WriteNumberValue(Timestamp.FromLogical(schema, timestamp));
                return true;
            default:
                return false;
        }
    }

    private static string ClassName(object value) => "class " + value.GetType().FullName;

    /// <summary>The Connect JSON schema of <paramref name="schema"/> as UTF-8 bytes (cached).</summary>
    public byte[] JsonSchemaBytes(Schema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        if (_fromConnectSchemaCache.TryGetValue(schema, out var cached)) return cached;
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            WriteJsonSchema(writer, schema, null);
        }
        var bytes = buffer.WrittenSpan.ToArray();
        if (_fromConnectSchemaCache.Count >= _cacheSize) _fromConnectSchemaCache.Clear();
        _fromConnectSchemaCache[schema] = bytes;
        return bytes;
    }

    // A missing element schema (an array or map parsed from text) is JSON null, as Kafka's asJsonSchema(null) gives.
    private void WriteJsonSchemaOrNull(Utf8JsonWriter writer, Schema? schema)
    {
        if (schema is null) writer.WriteNullValue();
        else WriteJsonSchema(writer, schema, null);
    }

    /// <summary>Writes the Connect JSON schema in Kafka's member order; <paramref name="fieldName"/> is appended for struct fields.</summary>
    private void WriteJsonSchema(Utf8JsonWriter writer, Schema schema, string? fieldName)
    {
        writer.WriteStartObject();
        writer.WriteString("type", JsonTypeName(schema.Type));
        switch (schema.Type)
        {
            case SchemaType.Array:
                writer.WritePropertyName("items");
                WriteJsonSchemaOrNull(writer, schema.ValueSchemaOrNull);
                break;
            case SchemaType.Map:
                writer.WritePropertyName("keys");
                WriteJsonSchemaOrNull(writer, schema.KeySchemaOrNull);
                writer.WritePropertyName("values");
                WriteJsonSchemaOrNull(writer, schema.ValueSchemaOrNull);
                break;
            case SchemaType.Struct:
                writer.WritePropertyName("fields");
                writer.WriteStartArray();
                foreach (var field in schema.Fields) WriteJsonSchema(writer, field.Schema, field.Name);
                writer.WriteEndArray();
                break;
        }
        writer.WriteBoolean("optional", schema.IsOptional);
        if (schema.Name is not null) writer.WriteString("name", schema.Name);
        if (schema.Version is { } version) writer.WriteNumber("version", version);
        if (schema.Doc is not null) writer.WriteString("doc", schema.Doc);
        if (schema.Parameters is not null)
        {
            writer.WritePropertyName("parameters");
            writer.WriteStartObject();
            foreach (var (key, value) in schema.Parameters) writer.WriteString(key, value);
            writer.WriteEndObject();
        }
        if (schema.DefaultValue is not null)
        {
            writer.WritePropertyName("default");
            WriteValue(writer, schema, schema.DefaultValue);
        }
        if (fieldName is not null) writer.WriteString("field", fieldName);
        writer.WriteEndObject();
    }

    private static string JsonTypeName(SchemaType type) => type switch
    {
        SchemaType.Boolean => "boolean",
        SchemaType.Int8 => "int8",
        SchemaType.Int16 => "int16",
        SchemaType.Int32 => "int32",
        SchemaType.Int64 => "int64",
        SchemaType.Float32 => "float",
        SchemaType.Float64 => "double",
        SchemaType.Bytes => "bytes",
        SchemaType.String => "string",
        SchemaType.Array => "array",
        SchemaType.Map => "map",
        SchemaType.Struct => "struct",
        _ => throw new DataException($"Couldn't translate unsupported schema type {type.ToConnectName()}."),
    };

    // ---------------------------------------------------------------- reading

    /// <summary>The Connect schema a Connect JSON schema describes (null for JSON null); cached by raw text.</summary>
    public Schema? AsConnectSchema(JsonElement jsonSchema)
    {
        if (jsonSchema.ValueKind == JsonValueKind.Null) return null;
        var raw = JsonMarshal.GetRawUtf8Value(jsonSchema);
        lock (_toConnectSchemaCache)
        {
            if (_toConnectSchemaCache.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(raw, out var cached)) return cached;
        }
        var schema = ParseSchema(jsonSchema);
        lock (_toConnectSchemaCache)
        {
            if (_toConnectSchemaCache.Count >= _cacheSize) _toConnectSchemaCache.Clear();
            _toConnectSchemaCache[raw.ToArray()] = schema;
        }
        return schema;
    }

    private Schema ParseSchema(JsonElement json)
    {
        if (json.ValueKind != JsonValueKind.Object ||
            !json.TryGetProperty("type", out var typeNode) || typeNode.ValueKind != JsonValueKind.String)
            throw new DataException("Schema must contain 'type' field");

        SchemaBuilder builder;
        var typeName = typeNode.GetString();
        switch (typeName)
        {
            case "boolean": builder = SchemaBuilder.Bool(); break;
            case "int8": builder = SchemaBuilder.Int8(); break;
            case "int16": builder = SchemaBuilder.Int16(); break;
            case "int32": builder = SchemaBuilder.Int32(); break;
            case "int64": builder = SchemaBuilder.Int64(); break;
            case "float": builder = SchemaBuilder.Float32(); break;
            case "double": builder = SchemaBuilder.Float64(); break;
            case "bytes": builder = SchemaBuilder.Bytes(); break;
            case "string": builder = SchemaBuilder.String(); break;
            case "array":
                if (!json.TryGetProperty("items", out var items) || items.ValueKind == JsonValueKind.Null)
                    throw new DataException("Array schema did not specify the element type");
                builder = SchemaBuilder.Array(ParseSchema(items));
                break;
            case "map":
                if (!json.TryGetProperty("keys", out var keys)) throw new DataException("Map schema did not specify the key type");
                if (!json.TryGetProperty("values", out var values)) throw new DataException("Map schema did not specify the value type");
                builder = SchemaBuilder.Map(ParseSchema(keys), ParseSchema(values));
                break;
            case "struct":
                builder = SchemaBuilder.Struct();
                if (!json.TryGetProperty("fields", out var fields) || fields.ValueKind != JsonValueKind.Array)
                    throw new DataException("Struct schema's \"fields\" argument is not an array.");
                foreach (var field in fields.EnumerateArray())
                {
                    if (field.ValueKind != JsonValueKind.Object ||
                        !field.TryGetProperty("field", out var fieldName) || fieldName.ValueKind != JsonValueKind.String)
                        throw new DataException("Struct schema's field name not specified properly");
                    builder.Field(fieldName.GetString()!, ParseSchema(field));
                }
                break;
            default:
                throw new DataException($"Unknown schema type: {typeName}");
        }

        // Only a JSON true makes a schema optional.
        if (json.TryGetProperty("optional", out var optional) && optional.ValueKind == JsonValueKind.True) builder.Optional();
        else builder.Required();
        if (json.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String) builder.Name(name.GetString()!);
        if (json.TryGetProperty("version", out var version) && IsIntegral(version)) builder.Version(IntValue(version));
        if (json.TryGetProperty("doc", out var doc) && doc.ValueKind == JsonValueKind.String) builder.Doc(doc.GetString()!);
        if (json.TryGetProperty("parameters", out var parameters) && parameters.ValueKind == JsonValueKind.Object)
        {
            foreach (var parameter in parameters.EnumerateObject())
            {
                if (parameter.Value.ValueKind != JsonValueKind.String) throw new DataException("Schema parameters must have string values.");
                builder.Parameter(parameter.Name, parameter.Value.GetString()!);
            }
        }
        if (json.TryGetProperty("default", out var defaultNode))
        {
            builder.DefaultValue(ToConnect(builder.Build(), defaultNode));
        }
        return builder.Build();
    }

    /// <summary>Converts a JSON node (default(JsonElement) = absent) to a Connect value, with or without a schema.</summary>
    private object? ToConnect(Schema? schema, JsonElement node)
    {
        var kind = node.ValueKind;
        if (schema is null)
        {
            switch (kind)
            {
                case JsonValueKind.Undefined:
                case JsonValueKind.Null:
                    return null;
                case JsonValueKind.True:
                    return true;
                case JsonValueKind.False:
                    return false;
                case JsonValueKind.String:
                    return node.GetString();
                case JsonValueKind.Number:
                    return IsIntegral(node) ? (object)LongValue(node) : DoubleValue(node);
                case JsonValueKind.Array:
                    var list = new List<object?>(node.GetArrayLength());
                    foreach (var item in node.EnumerateArray()) list.Add(ToConnect(null, item));
                    return list;
                case JsonValueKind.Object:
                    var map = new Dictionary<object, object?>();
                    foreach (var property in node.EnumerateObject()) map[property.Name] = ToConnect(null, property.Value);
                    return map;
                default:
                    throw new DataException($"Unknown schema type: {kind}");
            }
        }

        if (kind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            if (schema.DefaultValue is not null && _replaceNullWithDefault) return schema.DefaultValue;
            if (schema.IsOptional) return null;
            throw new DataException($"Invalid null value for required {schema.Type.ToConnectName()} field");
        }

        if (schema.Name is { } logicalName)
        {
            switch (logicalName)
            {
                case ConnectDecimal.LogicalName:
                    return DecimalToConnect(schema, node);
                case Date.LogicalName:
                    if (!IsInt(node))
                        throw new DataException($"Invalid type for Date, underlying representation should be integer but was {NodeType(node)}");
                    return Date.ToLogical(schema, IntValue(node));
                case Time.LogicalName:
                    if (!IsInt(node))
                        throw new DataException($"Invalid type for Time, underlying representation should be integer but was {NodeType(node)}");
                    return Time.ToLogical(schema, IntValue(node));
                case Timestamp.LogicalName:
                    if (!IsIntegral(node))
                        throw new DataException($"Invalid type for Timestamp, underlying representation should be integral but was {NodeType(node)}");
                    return Timestamp.ToLogical(schema, LongValue(node));
            }
        }

        // Like Kafka, node types are not checked against the schema: a JSON string under int32 reads as 0 and
        // integers wrap to the schema's width.
        switch (schema.Type)
        {
            case SchemaType.Boolean:
                return kind == JsonValueKind.True;
            case SchemaType.Int8:
                return unchecked((sbyte)IntValue(node));
            case SchemaType.Int16:
                return unchecked((short)IntValue(node));
            case SchemaType.Int32:
                return IntValue(node);
            case SchemaType.Int64:
                return LongValue(node);
            case SchemaType.Float32:
                return kind == JsonValueKind.Number ? FloatValue(node) : 0f;
            case SchemaType.Float64:
                return kind == JsonValueKind.Number ? DoubleValue(node) : 0d;
            case SchemaType.String:
                return kind == JsonValueKind.String ? node.GetString() : null;
            case SchemaType.Bytes:
                if (kind != JsonValueKind.String) return null;
                return node.TryGetBytesFromBase64(out var bytes) ? bytes : throw new DataException("Invalid bytes field");
            case SchemaType.Array:
                var elementSchema = schema.ValueSchema;
                var list = new List<object?>();
                if (kind == JsonValueKind.Array)
                {
                    foreach (var item in node.EnumerateArray()) list.Add(ToConnect(elementSchema, item));
                }
                else if (kind == JsonValueKind.Object)
                {
                    foreach (var property in node.EnumerateObject()) list.Add(ToConnect(elementSchema, property.Value));
                }
                return list;
            case SchemaType.Map:
                return MapToConnect(schema, node);
            case SchemaType.Struct:
                if (kind != JsonValueKind.Object)
                    throw new DataException($"Structs should be encoded as JSON objects, but found {NodeType(node)}");
                var result = new Struct(schema);
                foreach (var field in schema.Fields)
                {
                    var fieldValue = ToConnect(field.Schema, node.TryGetProperty(field.Name, out var fieldNode) ? fieldNode : default);
                    if (fieldValue is not null) result.Put(field, fieldValue);
                }
                return result;
            default:
                throw new DataException($"Unknown schema type: {schema.Type.ToConnectName()}");
        }
    }

    private Dictionary<object, object?> MapToConnect(Schema schema, JsonElement node)
    {
        var keySchema = schema.KeySchema;
        var valueSchema = schema.ValueSchema;
        var result = new Dictionary<object, object?>();
        if (keySchema.Type == SchemaType.String)
        {
            if (node.ValueKind != JsonValueKind.Object)
                throw new DataException($"Maps with string fields should be encoded as JSON objects, but found {NodeType(node)}");
            foreach (var property in node.EnumerateObject()) result[property.Name] = ToConnect(valueSchema, property.Value);
            return result;
        }
        if (node.ValueKind != JsonValueKind.Array)
            throw new DataException($"Maps with non-string fields should be encoded as JSON array of tuples, but found {NodeType(node)}");
        foreach (var entry in node.EnumerateArray())
        {
            if (entry.ValueKind != JsonValueKind.Array)
                throw new DataException($"Found invalid map entry instead of array tuple: {NodeType(entry)}");
            var length = entry.GetArrayLength();
            if (length != 2) throw new DataException($"Found invalid map entry, expected length 2 but found :{length}");
            var key = ToConnect(keySchema, entry[0])
                ?? throw new DataException("Map keys cannot be null: a null key cannot be represented");
            result[key] = ToConnect(valueSchema, entry[1]);
        }
        return result;
    }

    private static decimal DecimalToConnect(Schema schema, JsonElement node)
    {
        if (node.ValueKind == JsonValueKind.Number)
        {
            // The number keeps its own textual scale (as Kafka): it is not rescaled to the schema's.
            return decimal.TryParse(JsonMarshal.GetRawUtf8Value(node), NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
                ? number
                : throw new DataException($"Decimal value {node.GetRawText()} does not fit System.Decimal");
        }
        if (node.ValueKind == JsonValueKind.String)
        {
            try
            {
                if (!node.TryGetBytesFromBase64(out var bytes)) throw new FormatException("Not base64 text");
                return ConnectDecimal.ToLogical(schema, bytes);
            }
            catch (Exception e) when (e is FormatException or DataException)
            {
                throw new DataException("Invalid bytes for Decimal field", e);
            }
        }
        throw new DataException($"Invalid type for Decimal, underlying representation should be numeric or bytes but was {NodeType(node)}");
    }

    /// <summary>Jackson's node type names, used in Kafka's messages.</summary>
    private static string NodeType(JsonElement node) => node.ValueKind switch
    {
        JsonValueKind.Object => "OBJECT",
        JsonValueKind.Array => "ARRAY",
        JsonValueKind.String => "STRING",
        JsonValueKind.Number => "NUMBER",
        JsonValueKind.True or JsonValueKind.False => "BOOLEAN",
        JsonValueKind.Null => "NULL",
        _ => "MISSING",
    };

    /// <summary>An integral JSON number: no fraction or exponent in its text (Jackson's isIntegralNumber).</summary>
    private static bool IsIntegral(JsonElement node) =>
        node.ValueKind == JsonValueKind.Number && JsonMarshal.GetRawUtf8Value(node).IndexOfAny((byte)'.', (byte)'e', (byte)'E') < 0;

    /// <summary>An integral number that fits in 32 bits (Jackson's isInt).</summary>
    private static bool IsInt(JsonElement node) => IsIntegral(node) && node.TryGetInt32(out _);

    private static int IntValue(JsonElement node) => unchecked((int)LongValue(node));

    /// <summary>Jackson's longValue: the integral part, keeping the low 64 bits of larger values; 0 for non-numbers.</summary>
    private static long LongValue(JsonElement node)
    {
        if (node.ValueKind != JsonValueKind.Number) return 0;
        if (node.TryGetInt64(out var value)) return value;
        var raw = JsonMarshal.GetRawUtf8Value(node);
        BigInteger integral;
        if (raw.IndexOfAny((byte)'.', (byte)'e', (byte)'E') < 0)
        {
            integral = BigInteger.Parse(System.Text.Encoding.ASCII.GetString(raw), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        }
        else if (decimal.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var m))
        {
            integral = new BigInteger(decimal.Truncate(m));
        }
        else
        {
            var d = double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture);
            if (!double.IsFinite(d)) return 0;
            integral = new BigInteger(Math.Truncate(d));
        }
        return unchecked((long)(ulong)(integral & ulong.MaxValue));
    }

    private static double DoubleValue(JsonElement node) =>
        double.Parse(JsonMarshal.GetRawUtf8Value(node), NumberStyles.Float, CultureInfo.InvariantCulture);

    private static float FloatValue(JsonElement node) =>
        float.Parse(JsonMarshal.GetRawUtf8Value(node), NumberStyles.Float, CultureInfo.InvariantCulture);

    /// <summary>Compares raw UTF-8 JSON by content, so cached schemas can be looked up by a span without copying.</summary>
    private sealed class RawJsonComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly RawJsonComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => ReferenceEquals(x, y) || (x is not null && y is not null && x.AsSpan().SequenceEqual(y));

        public int GetHashCode(byte[] obj) => GetHashCode((ReadOnlySpan<byte>)obj);

        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<byte> alternate)
        {
            var hash = new HashCode();
            hash.AddBytes(alternate);
            return hash.ToHashCode();
        }

        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
    }
}
