using OrleansConnect.Connect.Errors;

namespace OrleansConnect.Connect.Data;

/// <summary>The Connect schema types; names on the wire and in messages are Kafka's upper-case ones.</summary>
public enum SchemaType
{
    Int8,
    Int16,
    Int32,
    Int64,
    Float32,
    Float64,
    Boolean,
    String,
    Bytes,
    Array,
    Map,
    Struct,
}

public static class SchemaTypes
{
    private static readonly string[] Names =
        ["INT8", "INT16", "INT32", "INT64", "FLOAT32", "FLOAT64", "BOOLEAN", "STRING", "BYTES", "ARRAY", "MAP", "STRUCT"];

    /// <summary>Kafka's name of the type ("INT32", "STRUCT", ...).</summary>
    public static string ToConnectName(this SchemaType type) => Names[(int)type];

    /// <summary>True for every type that is not ARRAY, MAP or STRUCT.</summary>
    public static bool IsPrimitive(this SchemaType type) => type < SchemaType.Array;

    /// <summary>Parses a Kafka type name, case-insensitively ("int32", "STRUCT").</summary>
    public static SchemaType Parse(string name)
    {
        if (TryParse(name, out var type)) return type;
        throw new DataException($"Unknown schema type: {name}");
    }

    public static bool TryParse(string? name, out SchemaType type)
    {
        if (name is not null)
        {
            for (var i = 0; i < Names.Length; i++)
            {
                if (string.Equals(Names[i], name, StringComparison.OrdinalIgnoreCase))
                {
                    type = (SchemaType)i;
                    return true;
                }
            }
        }
        type = default;
        return false;
    }
}
