using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;

namespace OrleansConnect.Runtime.Transport;

/// <summary>Exceptions cross silos as type name, message and simple public properties. The receiving silo rebuilds
/// the same type when it knows it (among loaded assemblies, Exception subclasses only): through a public ctor(string
/// message), else a public ctor whose parameters all match (by name) the message or a sent property, e.g.
/// (int status, string message). Otherwise it gets a <see cref="RemoteGrainException"/> naming the remote type.</summary>
internal static class RemoteExceptionCodec
{
    private static readonly ConcurrentDictionary<string, Type?> Types = new();

    public static RemoteError Encode(Exception exception, JsonSerializerOptions options)
    {
        var type = exception.GetType();
        var error = new RemoteError { Type = type.FullName ?? type.Name, Message = exception.Message };
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.DeclaringType == typeof(Exception) || !property.CanRead || property.GetIndexParameters().Length > 0) continue;
            var propertyType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (!(propertyType.IsPrimitive || propertyType.IsEnum || propertyType == typeof(string) || propertyType == typeof(decimal))) continue;
            try
            {
                error.Properties[property.Name] = JsonSerializer.SerializeToElement(property.GetValue(exception), property.PropertyType, options);
            }
            catch (Exception ex) when (ex is TargetInvocationException or NotSupportedException or InvalidOperationException)
            {
                // A property that cannot be read or written is just not sent.
            }
        }
        return error;
    }

    public static Exception Decode(RemoteError error, JsonSerializerOptions options)
    {
        var type = Types.GetOrAdd(error.Type, FindExceptionType);
        if (type is not null)
        {
            try
            {
                if (Build(type, error, options) is { } rebuilt) return rebuilt;
            }
            catch (Exception ex) when (ex is TargetInvocationException or JsonException or ArgumentException or NotSupportedException or MemberAccessException)
            {
                // Fall through to the generic form.
            }
        }
        return new RemoteGrainException(error.Type, error.Message);
    }

    private static Exception? Build(Type type, RemoteError error, JsonSerializerOptions options)
    {
        var constructors = type.GetConstructors(BindingFlags.Public | BindingFlags.Instance);
        var messageOnly = constructors.FirstOrDefault(c => c.GetParameters() is [{ ParameterType: var p }] && p == typeof(string));
        if (messageOnly is not null) return (Exception)messageOnly.Invoke([error.Message]);

        foreach (var constructor in constructors.OrderByDescending(c => c.GetParameters().Length))
        {
            var parameters = constructor.GetParameters();
            var arguments = new object?[parameters.Length];
            var usable = parameters.Length > 0;
            for (var i = 0; i < parameters.Length && usable; i++)
            {
                var parameter = parameters[i];
                if (string.Equals(parameter.Name, "message", StringComparison.OrdinalIgnoreCase) && parameter.ParameterType == typeof(string))
                    arguments[i] = error.Message;
                else if (error.Properties.FirstOrDefault(kv => string.Equals(kv.Key, parameter.Name, StringComparison.OrdinalIgnoreCase)) is { Key: not null } match)
                    arguments[i] = match.Value.Deserialize(parameter.ParameterType, options);
                else
                    usable = false;
            }
            if (usable) return (Exception)constructor.Invoke(arguments);
        }
        return null;
    }

    private static Type? FindExceptionType(string fullName)
    {
        foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies())
        {
            Type? type;
            try
            {
                type = assembly.GetType(fullName, throwOnError: false);
            }
            catch (Exception ex) when (ex is FileLoadException or BadImageFormatException or FileNotFoundException)
            {
                continue;
            }
            if (type is { IsAbstract: false, ContainsGenericParameters: false } && typeof(Exception).IsAssignableFrom(type)) return type;
        }
        return null;
    }
}
