namespace OrleansConnect.Grains.Plugins;

/// <summary>A plugin the worker can instantiate: its Connect class name, type, implementation and version.</summary>
public sealed record PluginDesc(string ClassName, PluginType Type, Type Implementation, string? Version)
{
    /// <summary>Connect's simple-name alias: the part after the last '.' (keeps a nested "$Key" suffix).</summary>
    public string SimpleName => ClassName[(ClassName.LastIndexOf('.') + 1)..];
}
