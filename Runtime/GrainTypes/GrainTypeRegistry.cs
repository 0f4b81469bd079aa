using System.Collections.Concurrent;
using System.Reflection;

namespace OrleansConnect.Runtime.GrainTypes;

/// <summary>Finds the grain class of each grain interface by scanning <see cref="GrainRuntimeOptions.GrainAssemblies"/>
/// and checks that grain interfaces only have methods the runtime can route.</summary>
internal sealed class GrainTypeRegistry
{
    private static readonly Type[] MarkerInterfaces = [typeof(IGrain), typeof(IGrainWithStringKey), typeof(IRemindable)];

    private readonly Lazy<Dictionary<Type, List<Type>>> _implementations;
    private readonly ConcurrentDictionary<Type, GrainTypeInfo> _byInterface = new();
    private readonly ConcurrentDictionary<string, GrainTypeInfo> _byGrainType = new();
    private readonly ConcurrentDictionary<MethodInfo, GrainMethodInfo> _methods = new();
    private readonly GrainRuntimeOptions _options;

    public GrainTypeRegistry(GrainRuntimeOptions options)
    {
        _options = options;
        _implementations = new Lazy<Dictionary<Type, List<Type>>>(Scan);
    }

    public static string GrainTypeOf(Type interfaceType) => interfaceType.FullName ?? interfaceType.Name;

    /// <summary>The grain interfaces with exactly one implementation (scans on first use).</summary>
    public IReadOnlyCollection<Type> GrainInterfaces =>
        _implementations.Value.Where(kv => kv.Value.Count == 1).Select(kv => kv.Key).ToList();

    public GrainTypeInfo GetByInterface(Type interfaceType) => _byInterface.GetOrAdd(interfaceType, Resolve);

    /// <summary>Null when no grain interface with that <see cref="GrainId.Type"/> is registered.</summary>
    public GrainTypeInfo? FindByGrainType(string grainType)
    {
        if (_byGrainType.TryGetValue(grainType, out var info)) return info;
        var match = _implementations.Value.Keys.FirstOrDefault(t => GrainTypeOf(t) == grainType);
        return match is null ? null : GetByInterface(match);
    }

    public GrainTypeInfo GetByGrainType(string grainType) =>
        FindByGrainType(grainType) ?? throw new InvalidOperationException(
            $"No grain interface named '{grainType}' is registered (GrainRuntimeOptions.GrainAssemblies: {AssemblyList()}).");

    public GrainMethodInfo GetMethod(MethodInfo method) => _methods.GetOrAdd(method, m => new GrainMethodInfo(m));

    private GrainTypeInfo Resolve(Type interfaceType)
    {
        if (!interfaceType.IsInterface || !typeof(IGrainWithStringKey).IsAssignableFrom(interfaceType) || MarkerInterfaces.Contains(interfaceType))
            throw new ArgumentException($"{interfaceType.FullName} is not a grain interface (an interface extending IGrainWithStringKey).");
        if (interfaceType.ContainsGenericParameters || interfaceType.IsGenericType)
            throw new ArgumentException($"Generic grain interfaces are not supported: {interfaceType.FullName}.");
        ValidateMethods(interfaceType);

        if (!_implementations.Value.TryGetValue(interfaceType, out var classes) || classes.Count == 0)
            throw new InvalidOperationException(
                $"No grain class implements {interfaceType.FullName}: add its assembly to GrainRuntimeOptions.GrainAssemblies (now: {AssemblyList()}).");
        if (classes.Count > 1)
            throw new InvalidOperationException(
                $"Several grain classes implement {interfaceType.FullName} ({string.Join(", ", classes.Select(c => c.FullName))}); exactly one may.");

        var info = new GrainTypeInfo(GrainTypeOf(interfaceType), interfaceType, classes[0]);
        _byGrainType.TryAdd(info.GrainType, info);
        return info;
    }

    private static void ValidateMethods(Type interfaceType)
    {
        foreach (var iface in interfaceType.GetInterfaces().Append(interfaceType))
        {
            if (MarkerInterfaces.Contains(iface) && iface != typeof(IRemindable)) continue;
            foreach (var method in iface.GetMethods())
            {
                var returnType = method.ReturnType;
                var isTask = returnType == typeof(Task) || (returnType.IsGenericType && returnType.GetGenericTypeDefinition() == typeof(Task<>));
                if (!isTask)
                    throw new ArgumentException($"Grain method {iface.Name}.{method.Name} must return Task or Task<T>, not {returnType.Name}.");
                if (method.IsGenericMethodDefinition)
                    throw new ArgumentException($"Grain method {iface.Name}.{method.Name} must not be generic.");
                if (method.GetParameters().Any(p => p.ParameterType.IsByRef))
                    throw new ArgumentException($"Grain method {iface.Name}.{method.Name} must not have ref/out/in parameters.");
            }
        }
    }

    private Dictionary<Type, List<Type>> Scan()
    {
        var map = new Dictionary<Type, List<Type>>();
        foreach (var assembly in _options.GrainAssemblies.Distinct())
        {
            foreach (var type in LoadableTypes(assembly))
            {
                if (!type.IsClass || type.IsAbstract || type.ContainsGenericParameters || !typeof(Grain).IsAssignableFrom(type)) continue;
                foreach (var iface in type.GetInterfaces())
                {
                    if (!typeof(IGrainWithStringKey).IsAssignableFrom(iface) || MarkerInterfaces.Contains(iface)) continue;
                    if (!map.TryGetValue(iface, out var list)) map[iface] = list = [];
                    if (!list.Contains(type)) list.Add(type);
                }
            }
        }
        return map;
    }

    private static IEnumerable<Type> LoadableTypes(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException ex)
        {
            // A type whose dependency is missing cannot be a usable grain; keep the rest.
            return ex.Types.OfType<Type>();
        }
    }

    private string AssemblyList() =>
        _options.GrainAssemblies.Count == 0 ? "none" : string.Join(", ", _options.GrainAssemblies.Select(a => a.GetName().Name));
}
