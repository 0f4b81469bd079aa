using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.Runtime;

namespace OrleansConnect.Grains.Cluster;

public static class ClusterSiloBuilderExtensions
{
    /// <summary>What the product adds to Orleans' runtime: even task placement, and, in a cluster, waking a dead
    /// silo's tasks at once, fencing a replaced silo's task loops and giving a joining silo its share.</summary>
    public static ISiloBuilder AddConnectTaskServices(this ISiloBuilder silo, bool clustered)
    {
        silo.Services.AddSingleton<LocalTasks>();
        silo.Services.AddSingleton<LocalStatuses>();
        silo.AddGrainService<SiloStatusService>();
        silo.Services.AddSingleton<ISiloStatusClient, SiloStatusClient>();
        silo.Services.AddSingleton<Interfaces.IConnectorListings, ClusterConnectorListings>();
        silo.Services.AddSingleton<Interfaces.ISiloNames, SiloNames>();
        silo.Services.AddMetrics();
        silo.Services.AddSingleton<Metrics.ConnectMetrics>();
        silo.Services.AddSingleton<ClusterTaskCounts>();
        silo.Services.AddPlacementDirector<TaskPlacementStrategy, TaskPlacementDirector>();
        if (clustered)
        {
            silo.Services.AddSingleton<DeadSiloSupervisor>();
            silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<DeadSiloSupervisor>());
            silo.Services.AddSingleton<SiloFence>();
            silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<SiloFence>());
            silo.Services.AddSingleton<TaskRebalancer>();
            silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<TaskRebalancer>());
        }
        return silo;
    }
}
