using System.Text;
using System.Text.Json;
using OrleansConnect.Grains.Interfaces.SchemaRegistry;

namespace OrleansConnect.Grains.SchemaRegistry;

/// <summary>The keys and values of Confluent Schema Registry's _schemas topic (io.confluent.kafka.schemaregistry.storage):
/// JSON keys {"keytype","subject","version","magic"} in Confluent's property order, so that a key written here and the
/// same key written by Confluent's registry are the same bytes and compact together; JSON values as Jackson writes them
/// (empty properties left out).</summary>
public static class SchemaRecords
{
    public const string Schema = "SCHEMA";
    public const string Config = "CONFIG";
    public const string Mode = "MODE";
    public const string DeleteSubject = "DELETE_SUBJECT";
    public const string Noop = "NOOP";

    public static byte[] SchemaKey(string subject, int version) => Write(w =>
    {
        w.WriteString("keytype", Schema);
        w.WriteString("subject", subject);
        w.WriteNumber("version", version);
        w.WriteNumber("magic", 1);
    });

    /// <summary>CONFIG, MODE or DELETE_SUBJECT; subject null is the global entry (its key has no subject).</summary>
    public static byte[] SubjectKey(string keyType, string? subject) => Write(w =>
    {
        w.WriteString("keytype", keyType);
        if (!string.IsNullOrEmpty(subject)) w.WriteString("subject", subject);
        w.WriteNumber("magic", 0);
    });

    public static byte[] NoopKey() => Write(w =>
    {
        w.WriteString("keytype", Noop);
        w.WriteNumber("magic", 0);
    });

    public static byte[] SchemaValue(RegisteredSchema schema) => Write(w =>
    {
        w.WriteString("subject", schema.Subject);
        w.WriteNumber("version", schema.Version);
        w.WriteNumber("id", schema.Id);
        // Confluent leaves schemaType out for Avro, its default.
        if (schema.SchemaType != "AVRO") w.WriteString("schemaType", schema.SchemaType);
        if (schema.References.Count > 0)
        {
            w.WriteStartArray("references");
            foreach (var reference in schema.References)
            {
                w.WriteStartObject();
                w.WriteString("name", reference.Name);
                w.WriteString("subject", reference.Subject);
                w.WriteNumber("version", reference.Version);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteString("schema", schema.Schema);
        w.WriteBoolean("deleted", schema.Deleted);
    });

    public static byte[] ConfigValue(string? subject, string level) => Write(w =>
    {
        if (!string.IsNullOrEmpty(subject)) w.WriteString("subject", subject);
        w.WriteString("compatibilityLevel", level);
    });

    public static byte[] ModeValue(string? subject, string mode) => Write(w =>
    {
        if (!string.IsNullOrEmpty(subject)) w.WriteString("subject", subject);
        w.WriteString("mode", mode);
    });

    public static byte[] DeleteSubjectValue(string subject, int version) => Write(w =>
    {
        w.WriteString("subject", subject);
        w.WriteNumber("version", version);
    });

    /// <summary>The key's type and subject and version (0 when it has none); null for a key that is not JSON of this shape.</summary>
    public static (string KeyType, string? Subject, int Version)? ParseKey(byte[]? key)
    {
        if (key is null) return null;
        try
        {
            using var doc = JsonDocument.Parse(key);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("keytype", out var type) || type.ValueKind != JsonValueKind.String)
                return null;
            var subject = root.TryGetProperty("subject", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
            var version = root.TryGetProperty("version", out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : 0;
            return (type.GetString()!, subject, version);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            return null;
        }
    }

    public static RegisteredSchema ParseSchemaValue(byte[] value)
    {
        using var doc = JsonDocument.Parse(value);
        var root = doc.RootElement;
        var references = new List<SchemaReference>();
        if (root.TryGetProperty("references", out var refs) && refs.ValueKind == JsonValueKind.Array)
            foreach (var r in refs.EnumerateArray())
                references.Add(new SchemaReference(r.GetProperty("name").GetString()!, r.GetProperty("subject").GetString()!, r.GetProperty("version").GetInt32()));
        return new RegisteredSchema(
            root.GetProperty("subject").GetString()!,
            root.GetProperty("version").GetInt32(),
            root.GetProperty("id").GetInt32(),
            root.TryGetProperty("schemaType", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "AVRO",
            root.GetProperty("schema").GetString()!,
            references,
            root.TryGetProperty("deleted", out var d) && d.ValueKind == JsonValueKind.True);
    }

    /// <summary>A string property of a CONFIG, MODE or DELETE_SUBJECT value (compatibilityLevel, mode).</summary>
    public static string? StringProperty(byte[] value, string name)
    {
        using var doc = JsonDocument.Parse(value);
        return doc.RootElement.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
    }

    public static int IntProperty(byte[] value, string name)
    {
        using var doc = JsonDocument.Parse(value);
        return doc.RootElement.GetProperty(name).GetInt32();
    }

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        // Jackson leaves non-ASCII as is; so does this encoder.
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }

    public static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes);
}
