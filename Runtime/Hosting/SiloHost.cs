using Microsoft.Extensions.DependencyInjection;

namespace OrleansConnect.Runtime;

/// <summary>The runtime without a generic host (tests, tools): its own service provider and <see cref="Runtime.Silo"/>.
/// Only the silo is started, not other hosted services registered in <c>configureServices</c>.</summary>
public sealed class SiloHost : IAsyncDisposable
{
    private readonly ServiceProvider _provider;

    private SiloHost(ServiceProvider provider)
    {
        _provider = provider;
        Silo = provider.GetRequiredService<Silo>();
        GrainFactory = provider.GetRequiredService<IGrainFactory>();
    }

    public static SiloHost Create(Action<GrainRuntimeOptions> configure, Action<IServiceCollection>? configureServices = null)
    {
        var services = new ServiceCollection();
        configureServices?.Invoke(services);
        services.AddGrainRuntime(configure);
        return new SiloHost(services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true }));
    }

    /// <summary>Creates and starts a silo.</summary>
    public static async Task<SiloHost> StartAsync(Action<GrainRuntimeOptions> configure,
        Action<IServiceCollection>? configureServices = null, CancellationToken cancellationToken = default)
    {
        var host = Create(configure, configureServices);
        try
        {
            await host.Silo.StartAsync(cancellationToken).ConfigureAwait(false);
            return host;
        }
        catch
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public IServiceProvider Services => _provider;

    public Silo Silo { get; }

    public IGrainFactory GrainFactory { get; }

    public Task StartAsync(CancellationToken cancellationToken = default) => Silo.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken = default) => Silo.StopAsync(cancellationToken);

    /// <summary>Stops the silo if it runs, then disposes the services.</summary>
    public async ValueTask DisposeAsync()
    {
        await Silo.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _provider.DisposeAsync().ConfigureAwait(false);
    }
}
