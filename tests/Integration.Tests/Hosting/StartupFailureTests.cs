using System.Net;
using System.Net.Sockets;
using OrleansConnect.Tests.Infrastructure;

namespace OrleansConnect.Tests.Hosting;

/// <summary>A silo that cannot start says why in one line and exits with code 2, never with an unhandled exception
/// (134): a data.dir another silo holds, a data.dir that cannot be written, a REST port in use, an unreachable Kafka,
/// Redis or PostgreSQL, a corrupt database.</summary>
[Collection(BrokerCollection.Name)]
public sealed class StartupFailureTests(TestBroker broker) : IDisposable
{
    private static readonly TimeSpan ExitWithin = TimeSpan.FromSeconds(90);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "oc-startfail-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private async Task<(int Code, string Log)> RunRefusedAsync(IReadOnlyDictionary<string, string> settings, string? bootstrap = null)
    {
        await using var silo = new SiloProcess(Path.Combine(_dir, Guid.NewGuid().ToString("N")[..6]), bootstrap ?? broker.BootstrapServers, settings);
        var code = await silo.RunToExitAsync(ExitWithin);
        return (code, silo.Log);
    }

    private static void AssertOneClearLine(int code, string log, string expected)
    {
        Assert.True(code == 2, $"exit code {code}, expected 2:\n{log}");
        Assert.Contains(expected, log);
        Assert.DoesNotContain("Unhandled exception", log);
    }

    [Fact]
    public async Task A_second_silo_on_the_same_data_dir_exits_naming_the_holder()
    {
        var dataDir = Path.Combine(_dir, "shared-data");
        await using var first = new SiloProcess(Path.Combine(_dir, "first"), broker.BootstrapServers,
            new Dictionary<string, string> { ["data.dir"] = dataDir });
        await first.StartAsync();

        var (code, log) = await RunRefusedAsync(new Dictionary<string, string> { ["data.dir"] = dataDir });
        var pid = File.ReadAllText(Path.Combine(dataDir, "silo.pid")).Trim();
        AssertOneClearLine(code, log, $"data.dir {dataDir} is in use by process {pid}");
        // The first silo is untouched.
        using var health = await first.Client.GetAsync("health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task A_data_dir_that_cannot_be_written_is_named()
    {
        Directory.CreateDirectory(_dir);
        var file = Path.Combine(_dir, "a-file");
        await File.WriteAllTextAsync(file, "not a directory");
        var dataDir = Path.Combine(file, "data");
        var (code, log) = await RunRefusedAsync(new Dictionary<string, string> { ["data.dir"] = dataDir });
        AssertOneClearLine(code, log, $"data.dir {dataDir} is not writable");
    }

    [Fact]
    public async Task A_rest_port_in_use_is_found_before_anything_starts()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var (code, log) = await RunRefusedAsync(new Dictionary<string, string> { ["rest.port"] = port.ToString() });
        AssertOneClearLine(code, log, "The REST port is in use");
        Assert.DoesNotContain("Connector", log);
    }

    [Fact]
    public async Task An_unreachable_kafka_is_one_line()
    {
        var (code, log) = await RunRefusedAsync(new Dictionary<string, string>(), bootstrap: "127.0.0.1:" + ClosedPort());
        AssertOneClearLine(code, log, "Cannot reach Kafka at 127.0.0.1:");
    }

    [Fact]
    public async Task An_unreachable_postgresql_is_one_line()
    {
        var port = ClosedPort();
        var (code, log) = await RunRefusedAsync(new Dictionary<string, string>
        {
            ["storage.provider"] = "postgresql",
            ["storage.connection.string"] = $"Host=127.0.0.1;Port={port};Username=connect;Password=s3cret;Database=connect",
        });
        AssertOneClearLine(code, log, $"The silo could not start: Storage setup failed for PostgreSQL at 127.0.0.1:{port}");
        Assert.DoesNotContain("s3cret", log);
    }

    [Fact]
    public async Task An_unreachable_redis_is_one_line()
    {
        var (code, log) = await RunRefusedAsync(new Dictionary<string, string>
        {
            ["cluster.membership.provider"] = "redis",
            ["cluster.membership.connection.string"] = "127.0.0.1:" + ClosedPort() + ",connectTimeout=2000",
        });
        AssertOneClearLine(code, log, "The silo could not start: cannot reach the Redis membership store");
    }

    [Fact]
    public async Task A_corrupt_database_is_one_line()
    {
        var dataDir = Path.Combine(_dir, "corrupt");
        Directory.CreateDirectory(dataDir);
        await File.WriteAllBytesAsync(Path.Combine(dataDir, "orleansconnect.db"), Enumerable.Range(0, 8192).Select(i => (byte)(i * 7)).ToArray());
        var (code, log) = await RunRefusedAsync(new Dictionary<string, string> { ["data.dir"] = dataDir });
        AssertOneClearLine(code, log, "The silo could not start: ");
        Assert.Contains("orleansconnect.db", log);
    }

    private static int ClosedPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
