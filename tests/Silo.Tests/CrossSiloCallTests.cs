using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.TestingHost;
using OrleansConnect.Grains.Interfaces;
using OrleansConnect.Grains.Interfaces.Errors;
using OrleansConnect.Grains.Interfaces.Models;
using OrleansConnect.Silo.Hosting;

namespace OrleansConnect.Silo.Tests;

/// <summary>What crosses a grain call between two silos (Orleans' in-process test cluster): the Connect REST errors keep
/// their status and message, and the REST entities, task assignments, offsets and preview records arrive intact.</summary>
public sealed class CrossSiloCallTests : IAsyncLifetime
{
    private InProcessTestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(2);
        builder.ConfigureSilo((_, silo) => silo.AddConnectSerialization());
        // The test cluster's own client validates every codec it knows of too.
        builder.ConfigureClient(client => client.Services.AddSerializer(s => s.AddJsonSerializer(isSupported: t => t == typeof(JsonElement))));
        _cluster = builder.Build();
        await _cluster.DeployAsync();
        // Placement picks among the silos whose manifest the caller has seen: on a busy machine the second one's
        // arrives after DeployAsync returns, and until then every new grain lands on the first.
        await _cluster.WaitForClusterManifestToStabilizeAsync();
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    /// <summary>A grain of <paramref name="key"/>'s kind activated on the second silo, called through the first silo.</summary>
    private async Task<IEchoGrain> OnOtherSiloAsync()
    {
        var silos = _cluster.Silos.Select(s => s.SiloAddress).ToList();
        var callerFactory = _cluster.GetSiloServiceProvider(silos[0]).GetRequiredService<IGrainFactory>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        for (var i = 0; DateTime.UtcNow < deadline; i++)
        {
            var grain = callerFactory.GetGrain<IEchoGrain>("echo-" + i);
            if (await grain.Where() == silos[1].ToParsableString()) return grain;
        }
        throw new InvalidOperationException("No echo grain was placed on the second silo within 30 s.");
    }

    [Theory]
    [InlineData(404)]
    [InlineData(409)]
    [InlineData(400)]
    [InlineData(500)]
    public async Task A_Connect_error_raised_on_another_silo_keeps_its_status_and_message(int status)
    {
        var grain = await OnOtherSiloAsync();
        var error = await Assert.ThrowsAnyAsync<ConnectRestException>(() => grain.Fail(status, $"Connector x failed with {status}"));
        Assert.Equal(status, error.Status);
        Assert.Equal($"Connector x failed with {status}", error.Message);
        Assert.Equal(status switch { 404 => typeof(NotFoundException), 409 => typeof(AlreadyExistsException), 400 => typeof(BadRequestException), _ => typeof(ConnectRestException) },
            error.GetType());
    }

    [Fact]
    public async Task An_Npgsql_exception_raised_on_another_silo_arrives_as_itself_not_as_a_codec_error()
    {
        // A real refused connection: what a grain's own Npgsql call (or a provider we did not wrap) throws. Orleans
        // serializes only exceptions from the namespaces it is told of; AddConnectSerialization adds Npgsql.
        var grain = await OnOtherSiloAsync();
        var port = ClosedPort();
        var error = await Assert.ThrowsAnyAsync<Exception>(() => grain.FailWithNpgsql(port));
        var npgsql = Assert.IsType<NpgsqlException>(error);
        Assert.Equal($"Failed to connect to 127.0.0.1:{port}", npgsql.Message);
        Assert.IsType<System.Net.Sockets.SocketException>(npgsql.InnerException);
    }

    private static int ClosedPort()
    {
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        socket.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        return ((System.Net.IPEndPoint)socket.LocalEndPoint!).Port;
    }

    [Fact]
    public async Task Rest_entities_assignments_offsets_and_preview_records_cross_intact()
    {
        var grain = await OnOtherSiloAsync();
        var status = new ConnectorStateInfo("c", new ConnectorState("RUNNING", "w:8083"),
            [new TaskState(0, "FAILED", "w:8083", "trace\nline"), new TaskState(1, "UNASSIGNED", "w2:8083")], "sink");
        var back = await grain.EchoStatus(status);
        Assert.Equal(status.Name, back.Name);
        Assert.Equal(status.Connector, back.Connector);
        Assert.Equal(status.Tasks, back.Tasks);

        var assignment = new TaskAssignment(new() { ["connector.class"] = "FileStreamSink" }, new() { ["task.class"] = "T" }, TargetState.Paused, 7);
        var assigned = await grain.EchoAssignment(assignment);
        Assert.Equal(assignment.ConnectorConfig, assigned.ConnectorConfig);
        Assert.Equal(assignment.TaskConfig, assigned.TaskConfig);
        Assert.Equal((TargetState.Paused, 7L), (assigned.TargetState, assigned.Generation));

        var offsets = new ConnectorOffsets([new ConnectorOffset(
            new Dictionary<string, object?>(StringComparer.Ordinal) { ["kafka_topic"] = "t", ["kafka_partition"] = 3L },
            new Dictionary<string, object?> { ["kafka_offset"] = long.MaxValue, ["ratio"] = 0.5, ["done"] = true, ["none"] = null })]);
        var offsetsBack = (await grain.EchoOffsets(offsets)).Offsets.Single();
        Assert.Equal(offsets.Offsets[0].Partition, offsetsBack.Partition);
        Assert.Equal(offsets.Offsets[0].Offset, offsetsBack.Offset);

        using var json = JsonDocument.Parse("""{"a":[1,"x",null,{"b":true}]}""");
        var record = new PreviewRecord("t", 0, 5, 1L, json.RootElement.Clone(), null, [new PreviewHeader("h", json.RootElement.Clone())]);
        var recordBack = Assert.IsType<PreviewRecord>(await grain.EchoPreview(record));
        Assert.Equal(json.RootElement.GetRawText(), recordBack.Key!.Value.GetRawText());
        Assert.Equal(json.RootElement.GetRawText(), recordBack.Headers![0].Value!.Value.GetRawText());
    }
}

public interface IEchoGrain : IGrainWithStringKey
{
    Task<string> Where();
    Task Fail(int status, string message);
    Task FailWithNpgsql(int closedPort);
    Task<ConnectorStateInfo> EchoStatus(ConnectorStateInfo status);
    Task<TaskAssignment> EchoAssignment(TaskAssignment assignment);
    Task<ConnectorOffsets> EchoOffsets(ConnectorOffsets offsets);
    Task<PreviewOutcome> EchoPreview(PreviewOutcome outcome);
}

public sealed class EchoGrain(ILocalSiloDetails silo) : Grain, IEchoGrain
{
    public Task<string> Where() => Task.FromResult(silo.SiloAddress.ToParsableString());

    public Task Fail(int status, string message) => throw (status switch
    {
        404 => new NotFoundException(message),
        409 => new AlreadyExistsException(message),
        400 => new BadRequestException(message),
        _ => new ConnectRestException(status, message),
    });

    public async Task FailWithNpgsql(int closedPort)
    {
        await using var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={closedPort};Username=u;Password=p;Pooling=false;Timeout=5");
        await connection.OpenAsync();
    }

    public Task<ConnectorStateInfo> EchoStatus(ConnectorStateInfo status) => Task.FromResult(status);
    public Task<TaskAssignment> EchoAssignment(TaskAssignment assignment) => Task.FromResult(assignment);
    public Task<ConnectorOffsets> EchoOffsets(ConnectorOffsets offsets) => Task.FromResult(offsets);
    public Task<PreviewOutcome> EchoPreview(PreviewOutcome outcome) => Task.FromResult(outcome);
}
