using System.Collections;
using System.Text;
using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Data;

namespace OrleansConnect.Plugins.Transforms.Util;

/// <summary>The field path syntax versions of KIP-821: V1 = one top-level field name, V2 = dotted nested paths.</summary>
public enum FieldSyntaxVersion
{
    V1,
    V2,
}

public static class FieldSyntaxVersions
{
    public const string Config = "field.syntax.version";
    public const string DefaultValue = "V1";

    private const string Doc =
        "Syntax of field paths. V1: a path is one field name at the root of the struct or map. V2: dots separate the " +
        "steps of a path into nested structs or maps, and a name holding dots is wrapped in backticks, e.g. " +
        "\"`foo.bar`.baz\" reads field baz of field \"foo.bar\".";

    /// <summary>Adds "field.syntax.version" (V1 default, V1|V2 case-insensitive).</summary>
    public static ConfigDef DefineFieldSyntaxVersion(this ConfigDef def) =>
        def.Define(Config, ConfigType.String, DefaultValue, CaseInsensitiveValidString.In("V1", "V2"), Importance.High, Doc);

    public static FieldSyntaxVersion FromConfig(AbstractConfig config)
    {
        var text = config.GetString(Config);
        return string.Equals(text, "V2", StringComparison.OrdinalIgnoreCase) ? FieldSyntaxVersion.V2 : FieldSyntaxVersion.V1;
    }
}

/// <summary>A path to one field, possibly nested (V2), within a struct or a schemaless map (Kafka's SingleFieldPath).</summary>
public sealed class SingleFieldPath
{
    private const char Backtick = '`';
    private const char Dot = '.';
    private const char Backslash = '\\';

    public SingleFieldPath(string pathText, FieldSyntaxVersion version)
    {
        ArgumentNullException.ThrowIfNull(pathText);
        Original = pathText;
        Steps = version == FieldSyntaxVersion.V1 ? [pathText] : BuildV2(pathText);
    }

    public string Original { get; }

    public IReadOnlyList<string> Steps { get; }

    private string LastStep => Steps[^1];

    private static List<string> BuildV2(string path)
    {
        var steps = new List<string>();
        var idx = 0;
        while (idx < path.Length && idx >= 0)
        {
            if (path[idx] != Backtick)
            {
                var start = idx;
                idx = path.IndexOf(Dot, idx);
                if (idx >= 0)
                {
                    steps.Add(path[start..idx]);
                    idx++;
                }
                else
                {
                    steps.Add(path[start..]);
                }
                continue;
            }

            // A backtick-wrapped name: it ends at a backtick followed by a dot (or the end of the path) that is not
            // escaped by a backslash; backticks anywhere else are part of the name.
            var backtickAt = idx;
            idx++;
            var field = new StringBuilder();
            var fieldStart = idx;
            while (true)
            {
                idx = path.IndexOf(Backtick, idx);
                if (idx == -1) throw IncompleteBacktickPair(path, backtickAt);
                var escaped = path[idx - 1] == Backslash;
                if (idx >= path.Length - 1)
                {
                    if (escaped) throw IncompleteBacktickPair(path, backtickAt);
                    field.Append(path, fieldStart, idx - fieldStart);
                    steps.Add(field.ToString());
                    idx++;
                    break;
                }
                if (path[idx + 1] != Dot)
                {
                    idx++;
                    continue;
                }
                if (escaped)
                {
                    field.Append(path, fieldStart, idx - 1 - fieldStart).Append(Backtick);
                    idx++;
                    fieldStart = idx;
                    continue;
                }
                field.Append(path, fieldStart, idx - fieldStart);
                steps.Add(field.ToString());
                idx += 2;
                break;
            }
        }
        if (path.Length > 0 && path[^1] == Dot) steps.Add("");
        return steps;
    }

    private static ConfigException IncompleteBacktickPair(string path, int backtickAt) =>
        new($"Incomplete backtick pair in path: [{path}], consider adding a backslash before backtick at position {backtickAt} to escape it");

    /// <summary>The field at this path in a struct schema, or null when a step is missing.</summary>
    public Field? FieldFrom(Schema? schema)
    {
        if (schema is null) return null;
        var current = schema;
        for (var i = 0; i < Steps.Count - 1; i++)
        {
            var field = current.Field(Steps[i]);
            if (field is null) return null;
            current = field.Schema;
        }
        return current.Field(LastStep);
    }

    /// <summary>The value at this path in a struct, or null when a step is missing or null.</summary>
    public object? ValueFrom(Struct? value, bool replaceNullWithDefault = true)
    {
        if (value is null) return null;
        var current = value;
        for (var i = 0; i < Steps.Count - 1; i++)
        {
            if (current.Schema.Field(Steps[i]) is null) return null;
            current = Requirements.RequireStructOrNull(TransformConfig.FieldValue(current, Steps[i], replaceNullWithDefault), "nested field access");
            if (current is null) return null;
        }
        return current.Schema.Field(LastStep) is null ? null : TransformConfig.FieldValue(current, LastStep, replaceNullWithDefault);
    }

    /// <summary>The value at this path in a schemaless map, or null when missing; a non-map on the way is an error.</summary>
    public object? ValueFrom(IDictionary? map)
    {
        if (map is null) return null;
        var current = map;
        for (var i = 0; i < Steps.Count - 1; i++)
        {
            current = Requirements.RequireMapOrNull(MapCopy.Get(current, Steps[i]), "nested field access");
            if (current is null) return null;
        }
        return MapCopy.Get(current, LastStep);
    }

    public override string ToString() => Original;
}
