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

    public static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
