using System.Collections.Concurrent;
using System.Reflection;

namespace OrleansConnect.Runtime.Transport;

/// <summary>Names a grain interface method on the wire (declaring interface, name, parameter types) and finds it again.</summary>
internal static class GrainMethodCodec
{
    /// <summary>Method name of the "just activate the grain" message.</summary>
    public const string ActivateMethod = "$activate";

    private static readonly ConcurrentDictionary<(Type, string, string), MethodInfo?> Methods = new();

    public static string TypeName(Type type) => type.FullName ?? type.Name;

    /// <summary>Finds the method among <paramref name="grainInterface"/> and the interfaces it extends.</summary>
    public static MethodInfo? Find(Type grainInterface, string declaringType, string name, IReadOnlyList<string> parameterTypes)
    {
        var signature = declaringType + "|" + string.Join(",", parameterTypes);
        return Methods.GetOrAdd((grainInterface, name, signature), _ =>
            grainInterface.GetInterfaces().Append(grainInterface)
                .Where(i => TypeName(i) == declaringType)
                .SelectMany(i => i.GetMethods())
                .FirstOrDefault(m => m.Name == name && m.GetParameters().Select(p => TypeName(p.ParameterType)).SequenceEqual(parameterTypes)));
    }
}
