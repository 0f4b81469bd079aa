namespace OrleansConnect.Connect.Plugins;

/// <summary>A plugin that reports a version (converters, transformations, predicates may implement it).</summary>
public interface IVersioned
{
    string Version { get; }
}
