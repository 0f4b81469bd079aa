using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using OrleansConnect.Runtime.Storage;

namespace OrleansConnect.Runtime.Activation;

/// <summary>Something an activation must load before OnActivateAsync (a persistent state).</summary>
internal interface IActivationLoader
{
    Task ReadStateAsync(CancellationToken cancellationToken = default);
}

/// <summary>Constructs grain instances: parameters marked [PersistentState] get an <see cref="IPersistentState{TState}"/>
/// over the named storage, <see cref="IGrainContext"/> and <see cref="IGrainFactory"/> come from the activation,
/// everything else from the activation's DI scope (as ActivatorUtilities would, but two states of one type
/// are told apart by name, not by type).</summary>
internal static class GrainActivator
{
    private static readonly ConcurrentDictionary<Type, ConstructorInfo> Constructors = new();

    public static (Grain Grain, IReadOnlyList<IActivationLoader> Loaders) Create(
        IServiceProvider services, ActivationData activation, GrainRuntimeOptions options)
    {
        var type = activation.Type.ImplementationType;
        var constructor = Constructors.GetOrAdd(type, ChooseConstructor);
        var parameters = constructor.GetParameters();
        var arguments = new object?[parameters.Length];
        var loaders = new List<IActivationLoader>();
        var stateNames = new HashSet<string>(StringComparer.Ordinal);

        for (var i = 0; i < parameters.Length; i++)
        {
            var parameter = parameters[i];
            var stateAttribute = parameter.GetCustomAttribute<PersistentStateAttribute>();
            if (stateAttribute is not null)
            {
                if (!stateNames.Add(stateAttribute.StateName))
                    throw new InvalidOperationException($"Grain class {type.FullName} declares persistent state '{stateAttribute.StateName}' twice.");
                var state = CreateState(services, activation, parameter, stateAttribute, options);
                loaders.Add((IActivationLoader)state);
                arguments[i] = state;
            }
            else if (parameter.ParameterType == typeof(IGrainContext))
            {
                arguments[i] = activation;
            }
            else if (parameter.ParameterType == typeof(IGrainFactory))
            {
                arguments[i] = activation.GrainFactory;
            }
            else
            {
                arguments[i] = services.GetService(parameter.ParameterType)
                    ?? (parameter.HasDefaultValue ? parameter.DefaultValue : throw new InvalidOperationException(
                        $"Cannot activate grain class {type.FullName}: no service of type {parameter.ParameterType.FullName} " +
                        $"is registered for constructor parameter '{parameter.Name}'."));
            }
        }

        var grain = (Grain)constructor.Invoke(BindingFlags.DoNotWrapExceptions, binder: null, arguments, culture: null);
        return (grain, loaders);
    }

    private static object CreateState(IServiceProvider services, ActivationData activation, ParameterInfo parameter,
        PersistentStateAttribute attribute, GrainRuntimeOptions options)
    {
        var type = parameter.ParameterType;
        if (!type.IsGenericType || type.GetGenericTypeDefinition() != typeof(IPersistentState<>))
            throw new InvalidOperationException(
                $"Grain class {activation.Type.ImplementationType.FullName}: [PersistentState] parameter '{parameter.Name}' must be an IPersistentState<T>, not {type.Name}.");
        if (string.IsNullOrWhiteSpace(attribute.StateName))
            throw new InvalidOperationException(
                $"Grain class {activation.Type.ImplementationType.FullName}: [PersistentState] parameter '{parameter.Name}' needs a state name.");

        IGrainStorage? storage;
        if (attribute.StorageName is null)
        {
            storage = services.GetService<IGrainStorage>();
        }
        else
        {
            storage = services is IKeyedServiceProvider keyed
                ? keyed.GetKeyedService(typeof(IGrainStorage), attribute.StorageName) as IGrainStorage
                : null;
        }
        if (storage is null)
            throw new InvalidOperationException(
                $"Grain class {activation.Type.ImplementationType.FullName}: no grain storage " +
                (attribute.StorageName is null ? "is registered" : $"named '{attribute.StorageName}' is registered (as a keyed IGrainStorage)") + ".");

        var key = new GrainStateKey(activation.GrainId.Type, activation.GrainId.Key, attribute.StateName);
        var stateType = typeof(PersistentState<>).MakeGenericType(type.GetGenericArguments()[0]);
        return Activator.CreateInstance(stateType, storage, key, options.StateSerializerOptions)!;
    }

    private static ConstructorInfo ChooseConstructor(Type type)
    {
        var constructors = type.GetConstructors();
        if (constructors.Length == 0)
            throw new InvalidOperationException($"Grain class {type.FullName} has no public constructor.");
        if (constructors.Length == 1) return constructors[0];
        var marked = constructors.Where(c => c.IsDefined(typeof(ActivatorUtilitiesConstructorAttribute))).ToList();
        if (marked.Count == 1) return marked[0];
        throw new InvalidOperationException(
            $"Grain class {type.FullName} has several public constructors; mark the one to use with [ActivatorUtilitiesConstructor].");
    }
}
