using System.Net;
using System.Net.Sockets;

namespace OrleansConnect.Tests.Infrastructure;

/// <summary>Ports for servers a test starts in another process. A port the kernel hands out for bind(0) comes from the
/// ephemeral range, which is also where every outgoing connection takes its local port: between the test releasing
/// such a port and the server binding it, a Kafka client or Orleans connection in the server process could take it (a
/// silo's REST listener binds last, after dozens of connections). So the port is picked below that range.</summary>
public static class TestPorts
{
    // Linux's default ip_local_port_range starts at 32768; ports below it are only ever taken by explicit binds.
    private const int Low = 20000;
    private const int High = 32767;

    public static int Free()
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var port = Random.Shared.Next(Low, High + 1);
            try
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(IPAddress.Any, port));
                return port;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
            }
        }
        throw new InvalidOperationException($"No free port between {Low} and {High} after 200 attempts");
    }
}
