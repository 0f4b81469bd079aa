using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans;
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

    /// <summary>Wraps the membership table the clustering provider registered (an internal Orleans type) in
    /// <see cref="RestoringMembershipTable"/>, so that a membership store that lost its rows is filled again.
    /// Call it after the provider's Use…Clustering.</summary>
    public static ISiloBuilder RestoreLostMembership(this ISiloBuilder silo)
    {
        var services = silo.Services;
        var registered = services.Last(d => d.ServiceType == typeof(IMembershipTable) && !d.IsKeyedService);
        services.Remove(registered);
        services.AddSingleton<IMembershipTable>(sp =>
        {
            var inner = registered.ImplementationInstance as IMembershipTable
                ?? registered.ImplementationFactory?.Invoke(sp) as IMembershipTable
                ?? (IMembershipTable)ActivatorUtilities.CreateInstance(sp, registered.ImplementationType!);
            var local = sp.GetRequiredService<ILocalSiloDetails>();
            return new RestoringMembershipTable(inner, () => local.SiloAddress, sp.GetRequiredService<ILogger<RestoringMembershipTable>>());
        });
        return silo;
    }
}
