using System.Reflection;

namespace OrleansConnect.Runtime.Calls;

/// <summary>Silo-to-silo calls: delivers an invocation to the activation of <paramref name="grainId"/> on another
/// silo. None is registered on a single silo; a cluster transport implements it (serializing the interface
/// method and the plain-data arguments).</summary>
public interface IRemoteGrainInvoker
{
    Task<object?> InvokeAsync(string siloId, GrainId grainId, MethodInfo method, object?[] arguments, CancellationToken cancellationToken);
}
