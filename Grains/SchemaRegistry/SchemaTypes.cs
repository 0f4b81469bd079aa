using OrleansConnect.Grains.Interfaces.SchemaRegistry;

namespace OrleansConnect.Grains.SchemaRegistry;

/// <summary>The schema types this registry accepts (Avro for now) and their parsing and compatibility rules.</summary>
public static class SchemaTypes
{
    public const string Avro = "AVRO";
    public static readonly IReadOnlyList<string> Supported = [Avro];

    public static readonly IReadOnlyList<string> Levels =
        ["NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE"];
    public const string DefaultLevel = "BACKWARD";

    public static readonly IReadOnlyList<string> Modes = ["READWRITE", "READONLY", "READONLY_OVERRIDE", "IMPORT"];
    public const string DefaultMode = "READWRITE";

    /// <summary>The type as a request names it (absent: AVRO), or 42201 for one not supported.</summary>
    public static string Normalize(string? schemaType)
    {
        var type = string.IsNullOrEmpty(schemaType) ? Avro : schemaType.ToUpperInvariant();
        if (!Supported.Contains(type))
            throw SchemaRegistryException.InvalidSchema($"Unsupported schema type {schemaType}: this registry serves {string.Join(", ", Supported)} schemas.");
        return type;
    }

    /// <summary>Parses a submitted schema; 42201 with the parser's reason when it is not a valid schema.</summary>
    public static global::Avro.Schema Parse(string schemaType, string text, IReadOnlyList<SchemaReference> references)
    {
        if (references.Count > 0)
            throw SchemaRegistryException.InvalidSchema("Schema references are not supported by this registry yet.");
        if (string.IsNullOrWhiteSpace(text))
            throw SchemaRegistryException.InvalidSchema("Invalid schema: the schema is empty.");
        try
        {
            // An unknown type name parses to nothing rather than failing; rendering it proves the whole tree is usable.
            var parsed = global::Avro.Schema.Parse(text) ?? throw new global::Avro.SchemaParseException("the schema has no known type");
            _ = parsed.ToString();
            return parsed;
        }
        catch (Exception e) when (e is global::Avro.AvroException or Newtonsoft.Json.JsonException or ArgumentException or NullReferenceException or InvalidCastException)
        {
            throw SchemaRegistryException.InvalidSchema($"Invalid schema {Shorten(text)}, details: {e.Message}");
        }
    }

    /// <summary>The form identical schemas share: Avro's own JSON rendering of the parsed schema (whitespace, property
    /// order and namespace spelling no longer matter). A stored schema that does not parse keeps its text.</summary>
    public static string CanonicalOrText(string schemaType, string text)
    {
        try
        {
            return Parse(schemaType, text, []).ToString();
        }
        catch (SchemaRegistryException)
        {
            return text;
        }
    }

    public static string Level(string? level)
    {
        var upper = level?.ToUpperInvariant();
        return upper is not null && Levels.Contains(upper) ? upper : throw SchemaRegistryException.InvalidCompatibility();
    }

    public static string Mode(string? mode)
    {
        var upper = mode?.ToUpperInvariant();
        return upper is not null && Modes.Contains(upper) ? upper : throw SchemaRegistryException.InvalidMode();
    }

    /// <summary>What <paramref name="level"/> says of <paramref name="candidate"/> against the subject's live versions
    /// (oldest first): the latest only, or all of them for the transitive levels. Empty when compatible.</summary>
    public static List<string> Check(string level, global::Avro.Schema candidate, IReadOnlyList<StoredSchema> previous)
    {
        var messages = new List<string>();
        if (level == "NONE" || previous.Count == 0) return messages;
        var against = level.EndsWith("_TRANSITIVE", StringComparison.Ordinal) ? previous.Reverse().ToList() : [previous[^1]];
        var backward = level.StartsWith("BACKWARD", StringComparison.Ordinal) || level.StartsWith("FULL", StringComparison.Ordinal);
        var forward = level.StartsWith("FORWARD", StringComparison.Ordinal) || level.StartsWith("FULL", StringComparison.Ordinal);
        foreach (var old in against)
        {
            global::Avro.Schema oldSchema;
            try
            {
                oldSchema = global::Avro.Schema.Parse(old.Schema.Schema);
            }
            catch (Exception e) when (e is global::Avro.AvroException or Newtonsoft.Json.JsonException)
            {
                messages.Add($"The old schema version {old.Schema.Version} does not parse: {e.Message}");
                continue;
            }
            var found = new List<string>();
            // Backward: the new schema reads what the old one wrote. Forward: the old one reads what the new one writes.
            if (backward) found.AddRange(AvroCompatibility.Check(candidate, oldSchema, "new schema", "old schema"));
            if (forward) found.AddRange(AvroCompatibility.Check(oldSchema, candidate, "old schema", "new schema"));
            if (found.Count == 0) continue;
            messages.AddRange(found);
            messages.Add($"{{oldSchemaVersion: {old.Schema.Version}}}");
            messages.Add($"{{oldSchema: '{old.Schema.Schema}'}}");
            messages.Add($"{{compatibility: '{level}'}}");
        }
        return messages;
    }

    private static string Shorten(string text) => text.Length > 200 ? text[..200] + "…" : text;
}
