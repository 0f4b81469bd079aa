namespace OrleansConnect.Grains.Plugins;

/// <summary>Connect's plugin types, in the order GET /connector-plugins lists them.</summary>
public enum PluginType { Sink, Source, Transformation, Predicate, Converter, HeaderConverter }

public static class PluginTypeNames
{
    public static string ToConnectName(this PluginType type) => type switch
    {
        PluginType.Sink => "sink",
        PluginType.Source => "source",
        PluginType.Transformation => "transformation",
        PluginType.Predicate => "predicate",
        PluginType.Converter => "converter",
        PluginType.HeaderConverter => "header_converter",
        _ => "unknown",
    };
}
