using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Runtime;
using Orleans.Storage;
using OrleansConnect.Grains.Interfaces;
using OrleansConnect.Grains.Interfaces.Models;
using OrleansConnect.Grains.Tasks;
using OrleansConnect.Silo.Storage;
using OrleansConnect.Silo.Tests.Infrastructure;

namespace OrleansConnect.Silo.Tests;

/// <summary>Fencing on the silo's real grain storage: a task loop's lease stops being current the moment a newer
/// activation writes its own, or the task is unassigned, so a replaced loop's commit check says no.</summary>
public sealed class TaskLeaseTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_lease_is_current_until_a_newer_activation_takes_the_task_or_it_is_unassigned()
    {
        await using var silo = await TestSilo.StartAsync(new ConnectStorageOptions
        {
            Vendor = StorageVendor.Sqlite,
            ConnectionString = Databases.NewSqliteFile(_dir.Path),
        });
        var storage = silo.Host.Services.GetRequiredKeyedService<IGrainStorage>("Default");
        var id = GrainId.Create("task", "orders-sink-0");
        var assignment = new TaskAssignment(new() { ["connector.class"] = "FileStreamSink" }, [], TargetState.Started, 1);

        // The first activation takes its lease.
        var first = new GrainState<TaskGrainState>(new TaskGrainState { Assignment = assignment, Lease = TaskLease.NewValue() });
        await storage.WriteStateAsync(TaskGrain.StateName, id, first);
        var firstLease = new TaskLease(storage, id, first.State!.Lease!);
        Assert.True(await firstLease.IsCurrentAsync(CancellationToken.None));

        // A replacement elsewhere reads the state and writes its own lease (with the etag it read).
        var second = new GrainState<TaskGrainState>(new TaskGrainState());
        await storage.ReadStateAsync(TaskGrain.StateName, id, second);
        second.State!.Lease = TaskLease.NewValue();
        await storage.WriteStateAsync(TaskGrain.StateName, id, second);
        var secondLease = new TaskLease(storage, id, second.State.Lease!);
        Assert.False(await firstLease.IsCurrentAsync(CancellationToken.None));
        Assert.True(await secondLease.IsCurrentAsync(CancellationToken.None));

        // The replaced activation cannot write its state back over the replacement's either.
        first.State.Lease = TaskLease.NewValue();
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(TaskGrain.StateName, id, first));

        // Unassigned (state cleared): no loop holds a current lease.
        await storage.ClearStateAsync(TaskGrain.StateName, id, second);
        Assert.False(await secondLease.IsCurrentAsync(CancellationToken.None));
    }
}
