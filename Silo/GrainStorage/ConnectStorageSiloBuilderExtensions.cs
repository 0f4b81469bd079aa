using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Providers;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Storage;

namespace OrleansConnect.Silo.GrainStorage;

public static class ConnectStorageSiloBuilderExtensions
{
    /// <summary>Puts the silo's grain state ("Default" and "connect", one provider), reminders and, when
    /// <see cref="ConnectStorageOptions.Parts"/> has <see cref="StorageParts.Clustering"/>, cluster membership on
    /// Orleans' ADO.NET providers over the project's own schema, which is installed as the silo starts.</summary>
    public static ISiloBuilder UseConnectStorage(this ISiloBuilder builder, ConnectStorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        // A copy: the providers and the installer must see the same settings even if the caller reuses the object.
        options = options.Clone();
        if (options.Vendor == StorageVendor.Sqlite && options.Parts.HasFlag(StorageParts.Clustering))
            throw new StorageSetupException("SQLite storage: clustering needs PostgreSQL; a single SQLite silo uses localhost clustering.");
        var invariant = OrleansSqlSchema.InvariantFor(options.Vendor);
        // The providers' string carries the pool cap; the installer keeps the given one (it opens unpooled connections).
        var connectionString = options.Vendor == StorageVendor.PostgreSql
            ? PostgresPool.WithCap(options.ConnectionString, options.MaxPoolSize)
            : options.ConnectionString;
        // One retry policy per registration, shared by its grain storage and reminder table (keyed by an object of its own).
        var retryKey = new object();
        builder.Services.AddKeyedSingleton(retryKey, (sp, _) => new StorageRetry(options, sp.GetRequiredService<ILogger<StorageRetry>>()));
        StorageRetry Retry(IServiceProvider sp) => sp.GetRequiredKeyedService<StorageRetry>(retryKey);

        if (options.InstallSchema)
        {
            builder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp =>
                new StorageSchemaInstaller(options, sp.GetRequiredService<ILogger<StorageSchemaInstaller>>()));
        }

        if (options.Parts.HasFlag(StorageParts.Persistence))
        {
            builder.AddAdoNetGrainStorage(ConnectStorageOptions.AdoNetProviderName, ob => ob.Configure<IServiceProvider>((o, sp) =>
            {
                o.Invariant = invariant;
                o.ConnectionString = connectionString;
                // Left unset, Orleans picks its global default (Newtonsoft with $type everywhere).
                if (options.StateJson == GrainStateJson.SystemTextJson)
                    o.GrainStorageSerializer = new SystemTextJsonGrainStorageSerializer(
                        sp.GetRequiredService<IOptions<SystemTextJsonGrainStorageSerializerOptions>>());
            }));
            // Grains reach the ADO.NET provider through the retrying wrapper and the grain-type-scoping one, under Orleans'
            // "Default" name and under "connect": both names share one instance, its init and its rows.
            builder.Services.AddKeyedSingleton<IGrainStorage>(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME, (sp, _) =>
                new ResilientGrainStorage(
                    new GrainTypeScopedStorage(sp.GetRequiredKeyedService<IGrainStorage>(ConnectStorageOptions.AdoNetProviderName)),
                    Retry(sp)));
            // The provider logs every failed attempt at Error; the wrapper logs each operation that failed once, at
            // Warning, whether a retry saved it or not, and Orleans logs what reaches the grain. Without this a restart of
            // PostgreSQL under load would print thousands of errors for operations that then succeeded.
            builder.Services.AddLogging(logging => logging.AddFilter(typeof(AdoNetGrainStorage).FullName, LogLevel.Critical));
            builder.Services.AddKeyedSingleton<IGrainStorage>(ConnectStorageOptions.ConnectStorageName,
                (sp, _) => sp.GetRequiredKeyedService<IGrainStorage>(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME));
            builder.Services.TryAddSingleton<IGrainStorage>(sp => sp.GetRequiredKeyedService<IGrainStorage>(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME));
        }

        if (options.Parts.HasFlag(StorageParts.Reminders))
        {
            builder.UseAdoNetReminderService(o =>
            {
                o.Invariant = invariant;
                o.ConnectionString = connectionString;
            });
            DecorateReminderTable(builder.Services, Retry);
        }

        if (options.Parts.HasFlag(StorageParts.Clustering))
        {
            builder.UseAdoNetClustering(o =>
            {
                o.Invariant = invariant;
                o.ConnectionString = connectionString;
            });
        }

        return builder;
    }

    /// <summary>Wraps the reminder table the ADO.NET provider just registered (an internal Orleans type) in
    /// <see cref="ResilientReminderTable"/>.</summary>
    private static void DecorateReminderTable(IServiceCollection services, Func<IServiceProvider, StorageRetry> retry)
    {
        var registered = services.Last(d => d.ServiceType == typeof(IReminderTable) && !d.IsKeyedService);
        services.Remove(registered);
        services.AddSingleton<IReminderTable>(sp =>
        {
            var inner = registered.ImplementationInstance as IReminderTable
                ?? registered.ImplementationFactory?.Invoke(sp) as IReminderTable
                ?? (IReminderTable)ActivatorUtilities.CreateInstance(sp, registered.ImplementationType!);
            return new ResilientReminderTable(inner, retry(sp));
        });
    }

    /// <summary>Runs the installer before anything in the silo touches the database. It subscribes just before
    /// <see cref="ServiceLifecycleStage.RuntimeInitialize"/>: Orleans opens its listeners at that stage and reads
    /// the stored statements only from RuntimeGrainServices on, so a failure here stops the silo before it joins
    /// anything, and host start-up fails with the <see cref="StorageSetupException"/> itself (one line to print).
    /// The timeout turns a hung database (e.g. a lock held elsewhere) into that same error instead of a hang.</summary>
    private sealed class StorageSchemaInstaller(ConnectStorageOptions options, ILogger<StorageSchemaInstaller> logger)
        : ILifecycleParticipant<ISiloLifecycle>
    {
        public void Participate(ISiloLifecycle lifecycle) =>
            lifecycle.Subscribe(nameof(StorageSchemaInstaller), ServiceLifecycleStage.RuntimeInitialize - 1, InstallAsync);

        private async Task InstallAsync(CancellationToken ct)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(options.InstallTimeout);
            try
            {
                if (options.Vendor == StorageVendor.PostgreSql) PostgresPool.Check(options.ConnectionString, options.MaxPoolSize);
                await OrleansSqlSchema.InstallAsync(options.Vendor, options.ConnectionString, options.Parts, timeout.Token);
                if (options.Vendor != StorageVendor.PostgreSql)
                    logger.LogInformation("Storage schema ready ({Vendor}: {Parts})", options.Vendor, options.Parts);
                else if (PostgresPool.EffectiveMax(options.ConnectionString, options.MaxPoolSize) is { } max)
                    logger.LogInformation("Storage schema ready ({Vendor}: {Parts}); at most {MaxPoolSize} pooled connections for this connection string",
                        options.Vendor, options.Parts, max);
                else
                    logger.LogWarning("Storage schema ready ({Vendor}: {Parts}); the connection string turns pooling off, so connections are not capped",
                        options.Vendor, options.Parts);
            }
            catch (OperationCanceledException e) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                throw new StorageSetupException(
                    $"{options.Vendor} storage: the schema installer did not finish within {options.InstallTimeout.TotalSeconds:0} s.", e);
            }
        }
    }
}
