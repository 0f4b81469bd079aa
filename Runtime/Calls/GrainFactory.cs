using System.Reflection;
using OrleansConnect.Runtime.GrainTypes;

namespace OrleansConnect.Runtime.Calls;

internal sealed class GrainFactory(GrainTypeRegistry registry, GrainCallDispatcher dispatcher) : IGrainFactory
{
    public TGrainInterface GetGrain<TGrainInterface>(string key) where TGrainInterface : IGrainWithStringKey
    {
        ArgumentNullException.ThrowIfNull(key);
        var type = registry.GetByInterface(typeof(TGrainInterface));
        var proxy = DispatchProxy.Create<TGrainInterface, GrainReference>();
        ((GrainReference)(object)proxy!).Initialize(new GrainId(type.GrainType, key), type, registry, dispatcher);
        return proxy;
    }
}
