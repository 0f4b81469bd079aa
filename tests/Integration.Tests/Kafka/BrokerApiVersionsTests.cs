using OrleansConnect.Tests.Infrastructure;
using System.Net;
using System.Net.Sockets;
using OrleansConnect.Grains.Kafka;
using Keys = OrleansConnect.Grains.Kafka.BrokerApiVersions.Keys;

namespace OrleansConnect.Tests.Kafka;

/// <summary>The ApiVersions probe that picks how sink offsets are written, against the embedded broker: it answers
/// the group APIs it has and lacks the admin ones the offsets API would rather use.</summary>
public sealed class BrokerApiVersionsTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly EmbeddedKafkaBroker _broker = EmbeddedKafkaBroker.Start(1);

    public void Dispose() => _broker.Dispose();

    [Fact]
    public async Task The_embedded_broker_lists_its_group_APIs_and_lacks_the_group_admin_APIs()
    {
        var apis = await BrokerApiVersions.FetchAsync(_broker.BootstrapServers, null, Timeout, CancellationToken.None);

        Assert.NotNull(apis);
        Assert.True(apis.Supports(Keys.OffsetCommit));
        Assert.True(apis.Supports(Keys.ConsumerGroupHeartbeat));
        Assert.False(apis.Supports(Keys.DescribeGroups));
        Assert.False(apis.Supports(Keys.OffsetDelete));
        Assert.False(apis.Supports(Keys.DeleteGroups));
    }

    [Fact]
    public async Task A_listener_that_speaks_TLS_or_nothing_is_unknown_not_an_error()
    {
        Assert.Null(await BrokerApiVersions.FetchAsync(_broker.BootstrapServers, "SSL", Timeout, CancellationToken.None));

        // A port nobody listens on, then a listener that accepts and never answers: both unknown, within the timeout.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var silentPort = ((IPEndPoint)silent.LocalEndpoint).Port;
        var closedPort = FreePort();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Null(await BrokerApiVersions.FetchAsync($"127.0.0.1:{closedPort},PLAINTEXT://127.0.0.1:{silentPort}", "PLAINTEXT",
            TimeSpan.FromMilliseconds(500), CancellationToken.None));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    private static int FreePort() => TestPorts.Free();
}
