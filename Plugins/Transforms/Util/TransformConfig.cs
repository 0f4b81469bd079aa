using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Data;

namespace OrleansConnect.Plugins.Transforms.Util;

/// <summary>Config keys and helpers several SMTs share.</summary>
public static class TransformConfig
{
    public const string ReplaceNullWithDefaultConfig = "replace.null.with.default";

    private const string ReplaceNullWithDefaultDoc =
        "When a struct field is null and its schema declares a default, true reads the default and false keeps the null.";

    /// <summary>Adds "replace.null.with.default" (BOOLEAN, default true) to <paramref name="def"/>.</summary>
    public static ConfigDef DefineReplaceNullWithDefault(this ConfigDef def) =>
        def.Define(ReplaceNullWithDefaultConfig, ConfigType.Boolean, true, null, Importance.Medium, ReplaceNullWithDefaultDoc);

    /// <summary>A struct field's value, with the field default for null when <paramref name="replaceNullWithDefault"/>.</summary>
    public static object? FieldValue(Struct value, Field field, bool replaceNullWithDefault) =>
        replaceNullWithDefault ? value.Get(field) : value.GetWithoutDefault(field);

    public static object? FieldValue(Struct value, string fieldName, bool replaceNullWithDefault) =>
        replaceNullWithDefault ? value.Get(fieldName) : value.GetWithoutDefault(fieldName);

    /// <summary>Java's String.split(":") : trailing empty parts dropped ("a:" has one part, "" has one).</summary>
    public static string[] JavaSplit(string text, char separator)
    {
        var parts = text.Split(separator);
        var count = parts.Length;
        while (count > 1 && parts[count - 1].Length == 0) count--;
        if (count == 1 && parts[0].Length == 0 && text.Length > 0) count = 0;
        return count == parts.Length ? parts : parts[..count];
    }
}
