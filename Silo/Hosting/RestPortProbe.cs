using System.Net;
using System.Net.Sockets;

namespace OrleansConnect.Silo.Hosting;

/// <summary>Checks, before the silo starts anything, that the REST listener's ports can be bound: Kestrel binds last,
/// after the silo joined its cluster and woke its connectors, and a port taken by another process would only be
/// found then.</summary>
public static class RestPortProbe
{
    /// <summary>The first listener URL whose port is taken, with the reason, or null.</summary>
    public static string? InUse(IEnumerable<string> urls)
    {
        foreach (var url in urls)
        {
            if (!Uri.TryCreate(url.Replace("://:", "://0.0.0.0:").Replace("://*:", "://0.0.0.0:").Replace("://+:", "://0.0.0.0:"), UriKind.Absolute, out var uri)
                || uri.Port <= 0)
                continue;
            var address = IPAddress.TryParse(uri.Host.Trim('[', ']'), out var parsed) ? parsed : IPAddress.Any;
            try
            {
                using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                // As Kestrel binds: connections of a previous run still in TIME_WAIT do not make the port taken.
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                socket.Bind(new IPEndPoint(address, uri.Port));
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                return $"{url} ({e.Message})";
            }
            catch (SocketException)
            {
                // Another reason (an address not on this machine): Kestrel reports it in its own words.
            }
        }
        return null;
    }
}
