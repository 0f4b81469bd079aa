using System.Reflection;
using OrleansConnect.Runtime.GrainTypes;

namespace OrleansConnect.Runtime.Calls;

/// <summary>The proxy behind a grain interface: each interface method becomes a call on the grain's activation.
/// Equal references address the same grain.</summary>
public class GrainReference : DispatchProxy
{
    private GrainCallDispatcher? _dispatcher;
    private GrainTypeRegistry? _registry;
    private GrainTypeInfo? _type;

    public GrainId GrainId { get; private set; }

    internal void Initialize(GrainId grainId, GrainTypeInfo type, GrainTypeRegistry registry, GrainCallDispatcher dispatcher)
    {
        GrainId = grainId;
        _type = type;
        _registry = registry;
        _dispatcher = dispatcher;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        if (_dispatcher is null || _registry is null || _type is null)
            throw new InvalidOperationException("This grain reference was not created by a grain factory.");
        var method = _registry.GetMethod(targetMethod);
        var result = _dispatcher.InvokeAsync(GrainId, _type, method, args ?? []);
        return method.ToTypedTask is { } toTyped ? toTyped(result) : result;
    }

    public override string ToString() => $"GrainReference({GrainId})";

    public override bool Equals(object? obj) => obj is GrainReference other && other.GrainId == GrainId;

    public override int GetHashCode() => GrainId.GetHashCode();
}
