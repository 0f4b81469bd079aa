using System.Reflection;

namespace OrleansConnect.Runtime.GrainTypes;

/// <summary>A grain interface, the class implementing it and the per-method facts the call path needs.</summary>
internal sealed class GrainTypeInfo(string grainType, Type interfaceType, Type implementationType)
{
    /// <summary>The <see cref="GrainId.Type"/> of grains of this interface.</summary>
    public string GrainType { get; } = grainType;
    public Type InterfaceType { get; } = interfaceType;
    public Type ImplementationType { get; } = implementationType;
    public bool IsRemindable { get; } = typeof(IRemindable).IsAssignableFrom(implementationType);

    /// <summary>The grain class takes a [PersistentState] (its activation has durable state to resume from).</summary>
    public bool HasPersistentState { get; } = implementationType.GetConstructors()
        .Any(c => c.GetParameters().Any(p => p.IsDefined(typeof(PersistentStateAttribute), inherit: false)));

    /// <summary>Marked [Rebalanceable] and has persistent state: the rebalancer may move its activations.</summary>
    public bool IsRebalanceable => HasPersistentState && ImplementationType.IsDefined(typeof(RebalanceableAttribute), inherit: false);

    public override string ToString() => $"{InterfaceType.Name} ({ImplementationType.FullName})";
}

/// <summary>How to unwrap a grain method's returned task.</summary>
internal sealed class GrainMethodInfo
{
    private static readonly MethodInfo CastMethod = typeof(GrainMethodInfo).GetMethod(nameof(Cast), BindingFlags.NonPublic | BindingFlags.Static)!;

    public GrainMethodInfo(MethodInfo method)
    {
        Method = method;
        var returnType = method.ReturnType;
        if (returnType.IsGenericType && returnType.GetGenericTypeDefinition() == typeof(Task<>))
        {
            ResultProperty = returnType.GetProperty(nameof(Task<object>.Result));
            ToTypedTask = CastMethod.MakeGenericMethod(returnType.GetGenericArguments()[0])
                .CreateDelegate<Func<Task<object?>, Task>>();
        }
    }

    public MethodInfo Method { get; }

    /// <summary>Task&lt;T&gt;.Result, or null for a plain Task.</summary>
    public PropertyInfo? ResultProperty { get; }

    /// <summary>Turns the runtime's Task&lt;object?&gt; into the Task&lt;T&gt; the caller expects; null for a plain Task.</summary>
    public Func<Task<object?>, Task>? ToTypedTask { get; }

    public string DisplayName => $"{Method.DeclaringType?.Name}.{Method.Name}";

    private static async Task<T> Cast<T>(Task<object?> task) => (T)(await task.ConfigureAwait(false))!;
}
