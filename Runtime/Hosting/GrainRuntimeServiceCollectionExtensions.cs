using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OrleansConnect.Runtime.Activation;
using OrleansConnect.Runtime.AdoNet;
using OrleansConnect.Runtime.Calls;
using OrleansConnect.Runtime.Cluster;
using OrleansConnect.Runtime.GrainDirectory;
using OrleansConnect.Runtime.GrainTypes;
using OrleansConnect.Runtime.Hosting;
using OrleansConnect.Runtime.Membership;
using OrleansConnect.Runtime.Placement;
using OrleansConnect.Runtime.Reminders;
using OrleansConnect.Runtime.Storage;
using OrleansConnect.Runtime.Transport;

namespace OrleansConnect.Runtime;

public static class GrainRuntimeServiceCollectionExtensions
{
    /// <summary>Registers the grain runtime: <see cref="IGrainFactory"/>, the <see cref="Runtime.Silo"/> (also as a hosted
    /// service), the ADO.NET <see cref="IGrainStorage"/> and <see cref="IReminderTable"/>, and the one-silo
    /// directory, placement and membership. The seams are added with TryAdd: register another implementation
    /// first to replace one. Options are validated here (ArgumentException names the bad one).</summary>
    public static IServiceCollection AddGrainRuntime(this IServiceCollection services, Action<GrainRuntimeOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        if (services.Any(d => d.ServiceType == typeof(GrainRuntimeOptions)))
            throw new InvalidOperationException("AddGrainRuntime was already called on this service collection.");
        var options = new GrainRuntimeOptions();
        configure(options);
        options.Validate();

        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<RuntimeLogging>();
        services.AddSingleton<SiloStatus>();
        services.AddSingleton<GrainTypeRegistry>();
        services.AddSingleton<AdoNetDatabase>();

        if (options.Clustering) AddClustering(services);

        services.TryAddSingleton<IGrainStorage, AdoNetGrainStorage>();
        services.TryAddSingleton<IReminderTable, AdoNetReminderTable>();
        services.TryAddSingleton<IGrainDirectory, LocalGrainDirectory>();
        services.TryAddSingleton<IPlacementDirector, LocalPlacementDirector>();
        services.TryAddSingleton<IClusterMembership, LocalClusterMembership>();
        services.TryAddSingleton<IReminderOwnership, LocalReminderOwnership>();

        services.AddSingleton<Catalog>();
        services.AddSingleton<GrainCallDispatcher>();
        services.AddSingleton<LocalReminderService>();
        services.AddSingleton<ReminderRegistry>();
        services.AddSingleton<IGrainFactory, GrainFactory>();
        services.AddSingleton(sp => new Silo(
            sp.GetRequiredService<GrainRuntimeOptions>(),
            sp.GetRequiredService<SiloStatus>(),
            sp.GetRequiredService<AdoNetDatabase>(),
            sp.GetRequiredService<GrainTypeRegistry>(),
            sp.GetRequiredService<Catalog>(),
            sp.GetRequiredService<LocalReminderService>(),
            sp.GetRequiredService<RuntimeLogging>(),
            sp.GetService<ClusterAgent>()));
        services.AddHostedService(sp => sp.GetRequiredService<Silo>());
        return services;
    }

    // The cluster implementations of the seams (added before the one-silo defaults, which TryAdd then skips).
    private static void AddClustering(IServiceCollection services)
    {
        services.AddSingleton<AdoNetMembershipTable>();
        services.AddSingleton<ClusterMembership>();
        services.TryAddSingleton<IClusterMembership>(sp => sp.GetRequiredService<ClusterMembership>());
        services.AddSingleton<AdoNetGrainDirectory>();
        services.TryAddSingleton<IGrainDirectory>(sp => sp.GetRequiredService<AdoNetGrainDirectory>());
        services.TryAddSingleton<IPlacementDirector, ActivationCountPlacementDirector>();
        services.TryAddSingleton<IReminderOwnership, HashRingReminderOwnership>();
        services.AddSingleton<MessageSigner>();
        services.AddSingleton<SiloTransportClient>();
        services.TryAddSingleton<IRemoteGrainInvoker>(sp => sp.GetRequiredService<SiloTransportClient>());
        services.AddSingleton<SiloTransportServer>();
        services.AddSingleton<ActivationRebalancer>();
        services.AddSingleton<ClusterAgent>();
    }
}
