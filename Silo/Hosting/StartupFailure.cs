using System.Net.Sockets;
using OrleansConnect.Silo.GrainStorage;

namespace OrleansConnect.Silo.Hosting;

/// <summary>One line for a silo that could not start: the storage or membership store it could not reach, or the
/// port it could not bind, without a stack trace.</summary>
public static class StartupFailure
{
    public static string Describe(Exception error)
    {
        if (StorageSetupException.Find(error) is { } storage) return storage.Message;
        for (var e = error; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case StackExchange.Redis.RedisConnectionException redis:
                    return $"cannot reach the Redis membership store ({FirstLine(redis.Message)})";
                case SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } socket:
                    return $"a port is already in use ({FirstLine(socket.Message)})";
                case IOException io when io.InnerException is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse }:
                    return $"a port is already in use ({FirstLine(io.Message)})";
            }
        }
        var root = error;
        while (root is AggregateException { InnerExceptions.Count: 1 } aggregate) root = aggregate.InnerExceptions[0];
        return $"{root.GetType().Name}: {FirstLine(root.Message)}";
    }

    private static string FirstLine(string message)
    {
        var end = message.IndexOfAny(['\r', '\n']);
        return end < 0 ? message : message[..end];
    }
}
