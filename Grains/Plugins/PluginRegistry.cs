using System.Reflection;
using Microsoft.Extensions.Logging;
using OrleansConnect.Connect.Config;
using OrleansConnect.Connect.Config.Provider;
using OrleansConnect.Connect.Connector;
using OrleansConnect.Connect.Plugins;
using OrleansConnect.Connect.Sink;
using OrleansConnect.Connect.Source;
using OrleansConnect.Connect.Storage;
using OrleansConnect.Connect.Transforms;
using OrleansConnect.Connect.Transforms.Predicates;

namespace OrleansConnect.Grains.Plugins;

/// <summary>Every plugin this silo can run: the built-ins plus assemblies found under plugin.path.
/// Resolves Connect's class names and aliases (simple name, and the simple name without a "Connector"
/// suffix) unless an alias is ambiguous.</summary>
public sealed class PluginRegistry
{
    private readonly Dictionary<string, PluginDesc> _byClassName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<PluginDesc>> _byAlias = new(StringComparer.Ordinal);

    public IReadOnlyList<PluginDesc> Plugins { get; }

    /// <summary>Config providers (IConfigProvider) found in the same assemblies. Not plugins of the REST listing: Connect
    /// lists only its six plugin types there.</summary>
    public IReadOnlyList<Type> ConfigProviderTypes { get; }

    public PluginRegistry(IEnumerable<Assembly> assemblies)
    {
        var all = new List<PluginDesc>();
        var providers = new List<Type>();
        foreach (var assembly in assemblies.Distinct())
        {
            foreach (var type in SafeGetTypes(assembly))
            {
                if (typeof(IConfigProvider).IsAssignableFrom(type) && !type.IsAbstract && !type.IsInterface && type.GetConstructor(Type.EmptyTypes) is not null)
                    providers.Add(type);
                // Generic plugins (transformations and predicates over R : ConnectRecord, as Kafka's) are closed per use.
                if (type.IsAbstract || type.IsInterface || (type.ContainsGenericParameters && type.GetGenericArguments().Length != 1)
                    || type.GetConstructor(Type.EmptyTypes) is null)
                    continue;
                var name = type.GetCustomAttribute<PluginNameAttribute>()?.ClassName ?? type.FullName!.Replace('+', '$');
                foreach (var pluginType in TypesOf(type))
                {
                    var desc = new PluginDesc(name, pluginType, type, VersionOf(type));
                    all.Add(desc);
                }
            }
        }
        // A class can be both a converter and a header converter: one entry per type, one class name.
        foreach (var desc in all)
        {
            _byClassName.TryAdd(KeyOf(desc.ClassName, desc.Type), desc);
            foreach (var alias in AliasesOf(desc))
            {
                var key = KeyOf(alias, desc.Type);
                if (!_byAlias.TryGetValue(key, out var list)) _byAlias[key] = list = [];
                if (!list.Any(d => d.ClassName == desc.ClassName)) list.Add(desc);
            }
        }
        ConfigProviderTypes = providers;
        Plugins = all
            .OrderBy(d => d.Type)
            .ThenBy(d => d.ClassName, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Finds a plugin of the given type by class name or unambiguous alias.</summary>
    public PluginDesc? Find(string nameOrAlias, PluginType type)
    {
        var trimmed = nameOrAlias.Trim();
        if (_byClassName.TryGetValue(KeyOf(trimmed, type), out var desc)) return desc;
        return _byAlias.TryGetValue(KeyOf(trimmed, type), out var list) && list.Count == 1 ? list[0] : null;
    }

    /// <summary>Finds a plugin of any type by class name or alias (for /connector-plugins/{plugin}/config).</summary>
    public PluginDesc? FindAny(string nameOrAlias) =>
        Enum.GetValues<PluginType>().Select(t => Find(nameOrAlias, t)).FirstOrDefault(d => d is not null);

    /// <summary>Finds a source or sink connector.</summary>
    public PluginDesc? FindConnector(string nameOrAlias) =>
        Find(nameOrAlias, PluginType.Source) ?? Find(nameOrAlias, PluginType.Sink);

    /// <summary>Creates an instance; a generic plugin is closed over <paramref name="recordType"/>
    /// (ConnectRecord when only its metadata is wanted).</summary>
    public T Instantiate<T>(PluginDesc desc, Type? recordType = null) where T : class =>
        Activator.CreateInstance(Close(desc.Implementation, recordType)) as T
        ?? throw new InvalidOperationException($"{desc.ClassName} is not a {typeof(T).Name}.");

    /// <summary>Creates an instance of any plugin for reading its metadata (Config, Version).</summary>
    public object InstantiateForMetadata(PluginDesc desc) => Activator.CreateInstance(Close(desc.Implementation, null))!;

    /// <summary>The ConfigDef a plugin declares (every plugin type has a Config property).</summary>
    public ConfigDef ConfigDefOf(PluginDesc desc)
    {
        var instance = InstantiateForMetadata(desc);
        return instance.GetType().GetProperty("Config")?.GetValue(instance) as ConfigDef ?? new ConfigDef();
    }

    private static Type Close(Type type, Type? recordType) =>
        type.ContainsGenericParameters ? type.MakeGenericType(recordType ?? typeof(ConnectRecord)) : type;

    /// <summary>Loads every *.dll under the plugin.path directories (each entry a directory or a DLL).</summary>
    public static IEnumerable<Assembly> LoadPluginPath(IEnumerable<string> pluginPath, ILogger logger)
    {
        foreach (var entry in pluginPath)
        {
            IEnumerable<string> files = File.Exists(entry) ? [entry]
                : Directory.Exists(entry) ? Directory.EnumerateFiles(entry, "*.dll", SearchOption.AllDirectories)
                : [];
            foreach (var file in files)
            {
                Assembly? assembly = null;
                try
                {
                    assembly = Assembly.LoadFrom(Path.GetFullPath(file));
                }
                catch (Exception e) when (e is BadImageFormatException or FileLoadException)
                {
                    logger.LogWarning("Skipping {PluginFile} under plugin.path: {Reason}", file, e.Message);
                }
                if (assembly is not null) yield return assembly;
            }
        }
    }

    private static IEnumerable<PluginType> TypesOf(Type type)
    {
        if (typeof(SinkConnector).IsAssignableFrom(type)) yield return PluginType.Sink;
        if (typeof(SourceConnector).IsAssignableFrom(type)) yield return PluginType.Source;
        if (ImplementsGeneric(type, typeof(ITransformation<>))) yield return PluginType.Transformation;
        if (ImplementsGeneric(type, typeof(IPredicate<>))) yield return PluginType.Predicate;
        if (typeof(IConverter).IsAssignableFrom(type)) yield return PluginType.Converter;
        if (typeof(IHeaderConverter).IsAssignableFrom(type)) yield return PluginType.HeaderConverter;
    }

    private static bool ImplementsGeneric(Type type, Type generic) =>
        type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == generic);

    private static string? VersionOf(Type type)
    {
        if (typeof(Connector).IsAssignableFrom(type) || typeof(IVersioned).IsAssignableFrom(type))
        {
            try
            {
                return Activator.CreateInstance(Close(type, null)) switch
                {
                    Connector c => c.Version,
                    IVersioned v => v.Version,
                    _ => null,
                };
            }
            catch (Exception e) when (e is TargetInvocationException or MissingMethodException)
            {
                return null;
            }
        }
        return null;
    }

    private static IEnumerable<string> AliasesOf(PluginDesc desc)
    {
        var simple = desc.SimpleName;
        if (simple != desc.ClassName) yield return simple;
        if (desc.Type is PluginType.Sink or PluginType.Source && simple.EndsWith("Connector", StringComparison.Ordinal) && simple.Length > "Connector".Length)
            yield return simple[..^"Connector".Length];
    }

    private static string KeyOf(string name, PluginType type) => $"{(int)type}:{name}";

    private static IEnumerable<Type> SafeGetTypes(Assembly assembly)
    {
        try { return assembly.GetTypes(); }
        catch (ReflectionTypeLoadException e) { return e.Types.Where(t => t is not null)!; }
    }
}
