using System.Net;
using System.Net.Sockets;
using OrleansConnect.Grains.Worker;

namespace OrleansConnect.Silo.Hosting;

/// <summary>Where this silo is reached: the REST worker_id users see, and the silo-to-silo port and address other
/// silos use. Orleans advertises an IP address, so a host name is resolved once at start.</summary>
public sealed record SiloEndpoint(string WorkerId, int SiloPort, IPAddress AdvertisedAddress)
{
    public static SiloEndpoint From(WorkerConfig config, string workerId, string advertisedHost)
    {
        var port = config.GetInt(WorkerConfig.SiloPort);
        // One silo alone needs no known port: pick a free one unless it is set, so several embedded silos can share a machine.
        if (port == 0 || (!config.IsClustered && !config.Originals.ContainsKey(WorkerConfig.SiloPort))) port = FreePort();
        var host = config.GetString(WorkerConfig.SiloAdvertisedHostName) ?? advertisedHost;
        return new SiloEndpoint(workerId, port, config.IsClustered ? Resolve(host) : IPAddress.Loopback);
    }

    private static IPAddress Resolve(string host)
    {
        if (IPAddress.TryParse(host, out var address)) return address;
        var addresses = Dns.GetHostAddresses(host);
        return addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))
            ?? addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
            ?? addresses.FirstOrDefault()
            ?? throw new Connect.Config.ConfigException($"{WorkerConfig.SiloAdvertisedHostName} {host} does not resolve to an address");
    }

    /// <summary>A free port for a listener this process binds later. bind(0) would hand out a port of the kernel's
    /// ephemeral range, where every outgoing connection takes its local port: one of the silo's own Kafka connections,
    /// opened before Orleans or Kestrel binds, could take it. So the port is picked below that range where there is room.</summary>
    public static int FreePort()
    {
        var ephemeralLow = EphemeralRangeLow();
        for (var attempt = 0; ephemeralLow > 20000 && attempt < 100; attempt++)
        {
            var port = Random.Shared.Next(20000, ephemeralLow);
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
        using var any = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        any.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)any.LocalEndPoint!).Port;
    }

    private static int EphemeralRangeLow()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 0; // not Linux: bind(0)
        }
    }
}
